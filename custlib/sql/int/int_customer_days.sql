-- int_customer_days: one row per customer and day with an order line (grain: dataset_id, customer_id,
-- order_date). A view without parameters. Every total of a day is known on that day, so a mart that
-- keeps the days on or before its as-of date sees exactly what was known then.
--
-- Column contract:
--   dataset_id, customer_id, order_date
--   lines_count            BIGINT
--   return_lines_count     BIGINT   lines with amount < 0
--   is_purchase_day        BOOLEAN  a line of zero or positive amount (a $0 free item counts; a day of
--                                   only returns does not): a purchase occasion of the CLV models
--   net_amount             DECIMAL  all lines of the day, returns subtracted (currency)
--   gross_amount           DECIMAL  lines with amount > 0 (every amount here is an exact decimal: stg_transactions)
--   returns_amount         DOUBLE   returns and refunds, as a positive amount
--   is_promo_purchase      BOOLEAN  a sale line (amount >= 0) is a promotion line
--   sale_discount_amount   DOUBLE   discount given on the day's sale lines
--   promo_list_amount      DOUBLE   promotion sale lines at list price: sum(amount + discount_amount)
--   promo_discount_amount  DOUBLE   discount given on those lines
with lines as (
    select * from int_order_lines
),

final as (
    select
        dataset_id,
        customer_id,
        order_date,
        count(*) as lines_count,
        count(*) filter (where not is_sale) as return_lines_count,
        bool_or(is_sale) as is_purchase_day,
        sum(amount) as net_amount,
        coalesce(sum(amount) filter (where amount > 0), 0) as gross_amount,
        coalesce(-sum(amount) filter (where not is_sale), 0) as returns_amount,
        coalesce(bool_or(is_promo and is_sale), false) as is_promo_purchase,
        coalesce(sum(discount_amount) filter (where is_sale), 0) as sale_discount_amount,
        coalesce(sum(amount + discount_amount) filter (where is_promo and is_sale), 0) as promo_list_amount,
        coalesce(sum(discount_amount) filter (where is_promo and is_sale), 0) as promo_discount_amount
    from lines
    group by dataset_id, customer_id, order_date
)

select * from final
