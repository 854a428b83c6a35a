-- One row per dataset: what `python -m custlib info` prints and the Data page lists (grain: dataset name).
-- No parameters: every dataset of the file. Counts are of stored rows (stg_*), usable or not.
-- Columns: name, is_active, version, customers, transactions, first_order_date, last_order_date,
-- total_amount (net, currency), customer_records, interactions, created_at, updated_at.
with tx as (
    select
        dataset_id,
        count(distinct customer_id) as customers,
        count(*) as transactions,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        sum(amount) as total_amount
    from stg_transactions
    group by dataset_id
),

cust as (
    select dataset_id, sum(stored_records) as customer_records from stg_customers group by dataset_id
),

inter as (
    select dataset_id, count(*) as interactions from stg_interactions group by dataset_id
),

final as (
    select
        d.name,
        d.is_active,
        d.version,
        coalesce(tx.customers, 0) as customers,
        coalesce(tx.transactions, 0) as transactions,
        tx.first_order_date,
        tx.last_order_date,
        round(coalesce(tx.total_amount, 0), 2) as total_amount,
        coalesce(cust.customer_records, 0) as customer_records,
        coalesce(inter.interactions, 0) as interactions,
        d.created_at,
        d.updated_at
    from stg_datasets as d
    left join tx using (dataset_id)
    left join cust using (dataset_id)
    left join inter using (dataset_id)
)

select * from final order by name
