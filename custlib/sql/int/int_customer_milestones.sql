-- int_customer_milestones: when each customer first and second bought, and how the first purchase looked
-- (grain: dataset_id, customer_id; customers with only returns have no row). A view without parameters.
--
-- A mart as of a date keeps the customers whose first purchase is on or before it and treats a second
-- purchase after it as not made yet: both dates are fixed once they happen, so nothing later leaks in.
--
-- Column contract:
--   dataset_id, customer_id
--   first_purchase_date    DATE
--   second_purchase_date   DATE     the second purchase occasion; NULL while there is none
--   is_promo_acquired      BOOLEAN  a sale line of the first occasion was a promotion line
--   first_spend_amount     DOUBLE   net amount of the first occasion (currency)
--   first_discount_amount  DOUBLE   discount given on the first occasion's sale lines
with occasions as (
    select * from int_purchase_occasions
    where occasion_number <= 2
),

final as (
    select
        dataset_id,
        customer_id,
        min(occasion_date) filter (where occasion_number = 1) as first_purchase_date,
        min(occasion_date) filter (where occasion_number = 2) as second_purchase_date,
        bool_or(is_promo) filter (where occasion_number = 1) as is_promo_acquired,
        sum(spend_amount) filter (where occasion_number = 1) as first_spend_amount,
        sum(discount_amount) filter (where occasion_number = 1) as first_discount_amount
    from occasions
    group by dataset_id, customer_id
)

select * from final
