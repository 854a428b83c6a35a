-- int_order_days: one row per order and day it has lines on (grain: dataset_id, customer_id, order_key,
-- is_unkeyed, order_date). A view without parameters: orders are put together from these rows as of a date, so a
-- return booked after the as-of date never changes an order as it was known then.
--
-- An order is a distinct (customer_id, order_key): see stg_transactions.order_key.
--
-- Column contract:
--   dataset_id, customer_id, order_key, is_unkeyed, order_date
--   order_id            VARCHAR  NULL for a line without one
--   lines_count         BIGINT
--   sale_lines_count    BIGINT   lines with amount >= 0
--   return_lines_count  BIGINT
--   net_amount, gross_amount, returns_amount, discount_amount   DOUBLE (currency; returns positive)
--   is_promo            BOOLEAN  a line of the day was a promotion line
with lines as (
    select * from int_order_lines
),

final as (
    select
        dataset_id,
        customer_id,
        order_key,
        is_unkeyed,
        order_date,
        any_value(order_id) as order_id,
        count(*) as lines_count,
        count(*) filter (where is_sale) as sale_lines_count,
        count(*) filter (where not is_sale) as return_lines_count,
        sum(amount) as net_amount,
        coalesce(sum(amount) filter (where amount > 0), 0) as gross_amount,
        coalesce(-sum(amount) filter (where not is_sale), 0) as returns_amount,
        sum(discount_amount) as discount_amount,
        bool_or(is_promo) as is_promo
    from lines
    group by dataset_id, customer_id, order_key, is_unkeyed, order_date
)

select * from final
