-- One row per customer with a purchase on or before $as_of: what the dashboard's filters select on.
-- Grain: customer_id. Params: $dataset_id INTEGER, $as_of DATE. Nothing dated after $as_of is read.
-- The column contract is custlib.filters.ATTRIBUTE_COLUMNS; the rules are in custlib/filters.py:
--   region           customers.region, else the most frequent transaction region (ties: alphabetical first),
--                    the same rule as mart_customer_features.region
--   industry, company_size, account_manager   customers table (the latest stored record)
--   channels         every channel the customer made a purchase line (amount >= 0) in, sorted
--   cohort           quarter of the first purchase day, as text 'YYYY-Qn'
-- A purchase is a line with amount >= 0; a customer with only returns has no cohort and is not listed.
with lines as (
    select customer_id, order_date, amount, channel, region
    from transactions
    where dataset_id = $dataset_id
      and order_date <= $as_of::date
      and customer_id is not null
      and amount is not null
),

first_purchases as (
    select customer_id, min(order_date) as first_purchase_date
    from lines
    where amount >= 0
    group by customer_id
),

purchase_channels as (
    select customer_id, list(distinct channel order by channel) as channels
    from lines
    where amount >= 0 and channel is not null
    group by customer_id
),

region_counts as (
    select customer_id, region, count(*) as lines_count
    from lines
    where region is not null
    group by customer_id, region
),

main_region as (
    -- the most frequent transaction region; ties go to the first name alphabetically
    select customer_id, first(region order by lines_count desc, region) as transaction_region
    from region_counts
    group by customer_id
),

customer_records as (
    -- the latest stored record when an id appears more than once
    select customer_id, region, industry, company_size, account_manager
    from customers
    where dataset_id = $dataset_id
    qualify row_number() over (partition by customer_id order by import_id desc, source_row desc) = 1
),

final as (
    select
        f.customer_id,
        coalesce(c.region, r.transaction_region) as region,
        c.industry,
        c.company_size,
        c.account_manager,
        coalesce(pc.channels, []::varchar[]) as channels,
        f.first_purchase_date,
        year(f.first_purchase_date) || '-Q' || quarter(f.first_purchase_date) as cohort
    from first_purchases as f
    left join customer_records as c using (customer_id)
    left join main_region as r using (customer_id)
    left join purchase_channels as pc using (customer_id)
)

select * from final order by customer_id
