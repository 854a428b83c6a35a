-- mart_sim_daily_orders: one row per calendar day, purchase occasions split by first / repeat and by
-- promotion, the input of the promotion-response estimates in custlib/simulate.py.
--
-- Parameters (bound, never string-built):
--   $dataset_id  INTEGER  the dataset to read
--   $as_of       DATE     only order lines dated on or before it count; the last day listed
--
-- Occasion rule (the one of mart_clv_summary, so these counts add up to the CLV models' purchases):
-- an order here is a purchase occasion, a customer's day with at least one line of amount >= 0;
-- several orders of one customer on one day count once. An occasion is a promotion occasion when one
-- of its sale lines (amount >= 0) has is_promo true (NULL is_promo counts as false). A customer's
-- first occasion is their acquisition ("first"); every later one is a "repeat".
--
-- Column contract (grain: order_date, unique, not null; every day from the first occasion to $as_of,
-- days without any occasion included with zeros):
--   order_date             DATE
--   orders                 BIGINT  purchase occasions that day
--   first_orders           BIGINT  of them, customers' first occasions
--   repeat_orders          BIGINT  orders - first_orders
--   promo_orders           BIGINT  promotion occasions (first or repeat)
--   promo_first_orders     BIGINT  first occasions that were promotion occasions
--   promo_repeat_orders    BIGINT  repeat occasions that were promotion occasions
--   promo_list_amount      DOUBLE  promotion sale lines at list price: sum(amount + discount_amount)
--   promo_discount_amount  DOUBLE  discount given on those lines (currency)
with lines as (
    select
        customer_id,
        order_date,
        amount,
        coalesce(is_promo, false) as is_promo,
        -- a missing discount on a promotion line is unknown, counted as no discount
        coalesce(discount_amount, 0) as discount_amount
    from transactions
    where dataset_id = $dataset_id
      and order_date <= cast($as_of as date)
      and customer_id is not null
      and amount is not null
),

occasions as (
    -- grain change: order line -> customer day, kept when it has a sale line
    select
        customer_id,
        order_date,
        coalesce(bool_or(is_promo and amount >= 0), false) as is_promo,
        coalesce(sum(amount + discount_amount) filter (where is_promo and amount >= 0), 0) as promo_list_amount,
        coalesce(sum(discount_amount) filter (where is_promo and amount >= 0), 0) as promo_discount_amount
    from lines
    group by customer_id, order_date
    having max(amount) >= 0
),

ranked as (
    select
        *,
        order_date = min(order_date) over (partition by customer_id) as is_first
    from occasions
),

per_day as (
    select
        order_date,
        count(*) as orders,
        count(*) filter (where is_first) as first_orders,
        count(*) filter (where is_promo) as promo_orders,
        count(*) filter (where is_promo and is_first) as promo_first_orders,
        count(*) filter (where is_promo and not is_first) as promo_repeat_orders,
        sum(promo_list_amount) as promo_list_amount,
        sum(promo_discount_amount) as promo_discount_amount
    from ranked
    group by order_date
),

calendar as (
    select cast(day as date) as order_date
    from generate_series(
        (select min(order_date) from occasions)::timestamp,
        cast($as_of as date)::timestamp,
        interval 1 day
    ) as t(day)
),

final as (
    select
        c.order_date,
        coalesce(d.orders, 0) as orders,
        coalesce(d.first_orders, 0) as first_orders,
        coalesce(d.orders - d.first_orders, 0) as repeat_orders,
        coalesce(d.promo_orders, 0) as promo_orders,
        coalesce(d.promo_first_orders, 0) as promo_first_orders,
        coalesce(d.promo_repeat_orders, 0) as promo_repeat_orders,
        coalesce(d.promo_list_amount, 0) as promo_list_amount,
        coalesce(d.promo_discount_amount, 0) as promo_discount_amount
    from calendar as c
    left join per_day as d using (order_date)
)

select * from final order by order_date
