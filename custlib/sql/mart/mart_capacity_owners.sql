-- mart_capacity_owners: one row per customer record, who owns the customer and where they are.
--
-- Parameters (bound, never string-built):
--   $dataset_id  INTEGER  the dataset to read
--
-- Owners come from stg_customers (trimmed; a blank name is no owner; a customer id listed twice keeps its
-- last stored row) and regions from int_customer_regions (the record's region, else the region the
-- customer's earliest line names), so reassignment can prefer a manager of the same region.
--
-- Column contract (grain: customer_id, unique, not null):
--   customer_id      VARCHAR
--   account_manager  VARCHAR  NULL when the customer has no owner
--   region           VARCHAR  NULL when neither the record nor any line names one
with records as (
    select customer_id, account_manager
    from stg_customers
    where dataset_id = $dataset_id
),

final as (
    select
        c.customer_id,
        c.account_manager,
        r.region
    from records as c
    left join int_customer_regions as r
        on r.dataset_id = $dataset_id and r.customer_id = c.customer_id
)

select * from final order by customer_id
