-- Name and email of the customers in $customer_ids, for a campaign list (the Segments page's export).
-- Grain: customer_id (the latest stored record: stg_customers). Params: $dataset_id INTEGER,
-- $customer_ids VARCHAR[]. Personal data: pages other than a member list must not read this query
-- (the Overview shows no personal data). Columns: customer_id, name, email (NULL without a record).
with selected as (
    select unnest(cast($customer_ids as varchar[])) as customer_id
),

final as (
    select s.customer_id, c.name, c.email
    from selected as s
    left join stg_customers as c
        on c.dataset_id = $dataset_id and c.customer_id = s.customer_id
)

select * from final order by customer_id
