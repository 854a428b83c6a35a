-- int_capacity_owners: one row per customer record, who owns the customer and where they are.
--
-- Parameters (bound, never string-built):
--   $dataset_id  INTEGER  the dataset to read
--
-- account_manager is trimmed; an empty name counts as no owner (NULL). region is the customer record's
-- region, else the region of the customer's latest transaction line (so reassignment can still prefer a
-- manager of the same region). A customer id listed twice keeps its last imported row.
--
-- Column contract (grain: customer_id, unique, not null):
--   customer_id      VARCHAR
--   account_manager  VARCHAR  NULL when the customer has no owner
--   region           VARCHAR  NULL when neither the record nor any transaction names one
with customers as (
    select
        customer_id,
        nullif(trim(account_manager), '') as account_manager,
        nullif(trim(region), '') as region
    from customers
    where dataset_id = $dataset_id
      and customer_id is not null
    qualify row_number() over (partition by customer_id order by import_id desc, source_row desc) = 1
),

transaction_regions as (
    select
        customer_id,
        arg_max(nullif(trim(region), ''), order_date) as region
    from transactions
    where dataset_id = $dataset_id
      and customer_id is not null
      and nullif(trim(region), '') is not null
    group by customer_id
),

final as (
    select
        c.customer_id,
        c.account_manager,
        coalesce(c.region, t.region) as region
    from customers as c
    left join transaction_regions as t using (customer_id)
)

select * from final order by customer_id
