-- Data-quality figures of one dataset (grain: one row): every stored row counts, usable or not.
-- Parameter: $dataset_id INTEGER.
-- Columns: transactions, negative_amount_rows, rows_without_order_id, customers, first_order_date,
-- last_order_date, customer_records (stored rows, duplicates included), interactions,
-- customers_without_record (customers with lines but no customer record).
with lines as (
    select customer_id, order_id, order_date, amount
    from stg_transactions
    where dataset_id = $dataset_id
),

tx as (
    select
        count(*) as transactions,
        count(*) filter (where amount < 0) as negative_amount_rows,
        count(*) filter (where order_id is null) as rows_without_order_id,
        count(distinct customer_id) as customers,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date
    from lines
),

records as (
    select customer_id, stored_records from stg_customers where dataset_id = $dataset_id
),

cust as (
    select coalesce(sum(stored_records), 0) as customer_records from records
),

inter as (
    select count(*) as interactions from stg_interactions where dataset_id = $dataset_id
),

unmatched as (
    select count(distinct l.customer_id) as customers_without_record
    from lines as l
    where not exists (select 1 from records as r where r.customer_id = l.customer_id)
),

final as (
    select * from tx cross join cust cross join inter cross join unmatched
)

select * from final
