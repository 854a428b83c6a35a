-- mart_sim_daily_orders: one row per calendar day, purchase occasions split by first / repeat and by
-- promotion, the input of the promotion-response estimates in custlib/simulate/estimates.py.
--
-- Parameters (bound, never string-built):
--   $dataset_id  INTEGER  the dataset to read
--   $as_of       DATE     only occasions on or before it count; the last day listed
--
-- An order here is a purchase occasion (int_purchase_occasions, the rule of mart_clv_summary, so these
-- counts add up to the CLV models' purchases). A customer's first occasion is their acquisition
-- ("first"); every later one is a "repeat".
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
with occasions as (
    select *, occasion_number = 1 as is_first
    from int_purchase_occasions
    where dataset_id = $dataset_id
      and occasion_date <= cast($as_of as date)
),

per_day as (
    select
        occasion_date as order_date,
        count(*) as orders,
        count(*) filter (where is_first) as first_orders,
        count(*) filter (where is_promo) as promo_orders,
        count(*) filter (where is_promo and is_first) as promo_first_orders,
        count(*) filter (where is_promo and not is_first) as promo_repeat_orders,
        sum(promo_list_amount) as promo_list_amount,
        sum(promo_discount_amount) as promo_discount_amount
    from occasions
    group by occasion_date
),

calendar as (
    -- DuckDB's generate_series; SQLGlot writes Spark's sequence/explode for it
    select cast(day as date) as order_date
    from generate_series(
        cast((select min(order_date) from per_day) as timestamp),
        cast(cast($as_of as date) as timestamp),
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
