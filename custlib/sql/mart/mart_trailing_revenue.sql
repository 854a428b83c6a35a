-- Each customer's net revenue over the $days days ending $as_of (inclusive), for value at risk.
-- Grain: customer_id (customers with a line in the window). Params: $dataset_id INTEGER, $as_of DATE,
-- $days INTEGER. Columns: customer_id VARCHAR, trailing_revenue_amount DOUBLE (currency, returns subtracted).
with days as (
    select customer_id, net_amount
    from int_customer_days
    where dataset_id = $dataset_id
      and order_date <= cast($as_of as date)
      and order_date > cast($as_of as date) - cast($days as integer)
),

final as (
    select customer_id, sum(net_amount) as trailing_revenue_amount
    from days
    group by customer_id
)

select * from final
