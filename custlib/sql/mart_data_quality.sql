-- Data-quality figures of one dataset (grain: one row). Parameter: $dataset_id.
with tx as (
    select
        count(*) as transactions,
        count(*) filter (where amount < 0) as negative_amount_rows,
        count(*) filter (where order_id is null) as rows_without_order_id,
        count(distinct customer_id) as customers,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date
    from transactions where dataset_id = $dataset_id
),
cust as (
    select count(*) as customer_records from customers where dataset_id = $dataset_id
),
inter as (
    select count(*) as interactions from interactions where dataset_id = $dataset_id
),
unmatched as (
    select count(distinct t.customer_id) as customers_without_record
    from transactions as t
    where t.dataset_id = $dataset_id
      and not exists (select 1 from customers as c
                      where c.dataset_id = t.dataset_id and c.customer_id = t.customer_id)
),
final as (
    select * from tx, cust, inter, unmatched
)
select * from final
