-- mart_sim_acquisition: one row per customer, how they were acquired (by a promotion or not) and
-- when they came back, for the promotion-acquired vs organic retention comparison in custlib/simulate/estimates.py.
--
-- Parameters (bound, never string-built):
--   $dataset_id  INTEGER  the dataset to read
--   $as_of       DATE     only occasions on or before it count
--
-- Milestones are int_customer_milestones (a customer is promotion-acquired when a sale line of their first
-- occasion is a promotion line); a second purchase after $as_of is not known yet.
--
-- Column contract (grain: customer_id, unique, not null):
--   customer_id              VARCHAR
--   first_purchase_date      DATE
--   second_purchase_date     DATE     first repeat occasion; NULL when there is none by $as_of
--   is_promo_acquired        BOOLEAN
--   first_order_amount       DOUBLE   net amount of the first occasion (currency)
--   first_discount_amount    DOUBLE   discount given on the first occasion's sale lines (currency)
with milestones as (
    select * from int_customer_milestones
    where dataset_id = $dataset_id
      and first_purchase_date <= cast($as_of as date)
),

final as (
    select
        customer_id,
        first_purchase_date,
        case when second_purchase_date <= cast($as_of as date) then second_purchase_date end
            as second_purchase_date,
        is_promo_acquired,
        first_spend_amount as first_order_amount,
        first_discount_amount
    from milestones
)

select * from final order by customer_id
