-- Each customer's net revenue over the $days days ending $as_of (inclusive), for value at risk.
with lines as (
    select customer_id, amount
    from transactions
    where dataset_id = $dataset_id
      and order_date <= $as_of
      and order_date > cast($as_of as date) - cast($days as integer)
),

final as (
    select customer_id, sum(amount) as trailing_revenue_amount
    from lines
    group by customer_id
)

select * from final
