-- stg_customers: one customer record per customer and dataset (grain: dataset_id, customer_id).
-- A view without parameters, made by custlib.db when it opens the database.
--
-- The latest-record rule: a customer id listed more than once (two imports, or twice in one file) keeps
-- the row stored last (highest import, then highest source row). Owners and regions are trimmed and a
-- blank one is no one (NULL), so that "no account manager" has one meaning everywhere.
-- The table is an undated snapshot: its attributes are taken as they are now, whatever the as-of date.
--
-- Column contract:
--   dataset_id       INTEGER
--   customer_id      VARCHAR  unique within the dataset, not null
--   name, email, phone        VARCHAR  personal data: only member lists read them
--   signup_date      DATE
--   region           VARCHAR  NULL when blank
--   industry, company_size    VARCHAR
--   account_manager  VARCHAR  NULL when blank
--   stored_records   BIGINT   rows stored for this id (1 unless it was listed more than once)
with source as (
    select
        *,
        row_number() over by_customer_latest_first as record_number,
        count(*) over (partition by dataset_id, customer_id) as stored_records
    from customers
    where customer_id is not null
    window by_customer_latest_first as (
        partition by dataset_id, customer_id order by import_id desc, source_row desc)
),

final as (
    select
        dataset_id,
        customer_id,
        name,
        email,
        phone,
        signup_date,
        nullif(trim(region), '') as region,
        industry,
        company_size,
        nullif(trim(account_manager), '') as account_manager,
        stored_records
    from source
    where record_number = 1
)

select * from final
