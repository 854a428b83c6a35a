-- mart_sim_acquisition: one row per customer, how they were acquired (by a promotion or not) and
-- when they came back, for the promotion-acquired vs organic retention comparison in custlib/simulate.py.
--
-- Parameters (bound, never string-built):
--   $dataset_id  INTEGER  the dataset to read
--   $as_of       DATE     only order lines dated on or before it count
--
-- Occasion rule as in mart_clv_summary (a customer's day with a sale line, amount >= 0). A customer is
-- promotion-acquired when a sale line of their first occasion has is_promo true (NULL counts as false).
--
-- Column contract (grain: customer_id, unique, not null):
--   customer_id              VARCHAR
--   first_purchase_date      DATE
--   second_purchase_date     DATE     first repeat occasion; NULL when there is none by $as_of
--   is_promo_acquired        BOOLEAN
--   first_order_amount       DOUBLE   net amount of the first occasion (currency)
--   first_discount_amount    DOUBLE   discount given on the first occasion's sale lines (currency)
with lines as (
    select
        customer_id,
        order_date,
        amount,
        coalesce(is_promo, false) as is_promo,
        coalesce(discount_amount, 0) as discount_amount
    from transactions
    where dataset_id = $dataset_id
      and order_date <= cast($as_of as date)
      and customer_id is not null
      and amount is not null
),

occasions as (
    select
        customer_id,
        order_date,
        coalesce(bool_or(is_promo and amount >= 0), false) as is_promo,
        sum(amount) as net_amount,
        coalesce(sum(discount_amount) filter (where amount >= 0), 0) as discount_amount,
        row_number() over (partition by customer_id order by order_date) as occasion_number
    from lines
    group by customer_id, order_date
    having max(amount) >= 0
),

final as (
    select
        customer_id,
        min(order_date) filter (where occasion_number = 1) as first_purchase_date,
        min(order_date) filter (where occasion_number = 2) as second_purchase_date,
        bool_or(is_promo) filter (where occasion_number = 1) as is_promo_acquired,
        sum(net_amount) filter (where occasion_number = 1) as first_order_amount,
        sum(discount_amount) filter (where occasion_number = 1) as first_discount_amount
    from occasions
    group by customer_id
)

select * from final order by customer_id
