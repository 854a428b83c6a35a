-- One row per customer with a purchase on or before $as_of: what the dashboard's filters select on.
-- Grain: customer_id. Params: $dataset_id INTEGER, $as_of DATE. No purchase dated after $as_of is read.
-- The column contract is custlib.filters.ATTRIBUTE_COLUMNS; the rules are in custlib/filters.py:
--   region           int_customer_regions (the record's region, else the one the earliest line names)
--   industry, company_size, account_manager   stg_customers (the latest stored record)
--   channels         every channel the customer made a purchase line (amount >= 0) in, sorted
--   cohort           quarter of the first purchase day, as text 'YYYY-Qn'
-- A customer with only returns has no first purchase, so no cohort, and is not listed.
with first_purchases as (
    select customer_id, first_purchase_date
    from int_customer_milestones
    where dataset_id = $dataset_id
      and first_purchase_date <= cast($as_of as date)
),

purchase_channels as (
    select customer_id, array_agg(distinct channel order by channel) as channels
    from int_order_lines
    where dataset_id = $dataset_id
      and order_date <= cast($as_of as date)
      and is_sale
      and channel is not null
    group by customer_id
),

final as (
    select
        f.customer_id,
        r.region,
        c.industry,
        c.company_size,
        c.account_manager,
        coalesce(pc.channels, cast([] as varchar[])) as channels,
        f.first_purchase_date,
        cast(year(f.first_purchase_date) as varchar) || '-Q' || cast(quarter(f.first_purchase_date) as varchar)
            as cohort
    from first_purchases as f
    left join stg_customers as c
        on c.dataset_id = $dataset_id and c.customer_id = f.customer_id
    left join int_customer_regions as r
        on r.dataset_id = $dataset_id and r.customer_id = f.customer_id
        and (r.region_known_from is null or r.region_known_from <= cast($as_of as date))
    left join purchase_channels as pc on pc.customer_id = f.customer_id
)

select * from final order by customer_id
