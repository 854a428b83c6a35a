-- Name and email of the customers in $customer_ids, for a campaign list (the Segments page's export).
-- Grain: customer_id (the latest stored record when an id appears more than once).
-- Params: $dataset_id INTEGER, $customer_ids VARCHAR[]. Personal data: pages other than a member list
-- must not read this query (the Overview shows no personal data).
with selected as (
    select unnest(cast($customer_ids as varchar[])) as customer_id
),

records as (
    select customer_id, name, email
    from customers
    where dataset_id = $dataset_id
      and customer_id in (select customer_id from selected)
    qualify row_number() over (partition by customer_id order by import_id desc, source_row desc) = 1
),

final as (
    select s.customer_id, r.name, r.email
    from selected as s
    left join records as r using (customer_id)
)

select * from final order by customer_id
