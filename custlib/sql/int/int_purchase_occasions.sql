-- int_purchase_occasions: one row per purchase occasion (grain: dataset_id, customer_id, occasion_date).
-- A view without parameters.
--
-- The settled rule of the CLV models: an occasion is a customer's day with at least one order line of
-- zero or positive amount (a $0 free item counts; a day of only returns does not); several orders on one
-- day are one occasion; its spend is the day's NET amount (returns included, so it can be negative).
-- occasion_number counts a customer's occasions from 1; an occasion's number never depends on later days,
-- so it is the same for any as-of date on or after the occasion.
--
-- Column contract:
--   dataset_id, customer_id
--   occasion_date          DATE
--   occasion_number        BIGINT   1 = the customer's first purchase (acquisition)
--   spend_amount           DOUBLE   the day's net amount (currency)
--   is_promo               BOOLEAN  a sale line of the day was a promotion line
--   discount_amount        DOUBLE   discount given on the day's sale lines
--   promo_list_amount      DOUBLE   see int_customer_days
--   promo_discount_amount  DOUBLE
with days as (
    select * from int_customer_days
    where is_purchase_day
),

final as (
    select
        dataset_id,
        customer_id,
        order_date as occasion_date,
        row_number() over (partition by dataset_id, customer_id order by order_date) as occasion_number,
        net_amount as spend_amount,
        is_promo_purchase as is_promo,
        sale_discount_amount as discount_amount,
        promo_list_amount,
        promo_discount_amount
    from days
)

select * from final
