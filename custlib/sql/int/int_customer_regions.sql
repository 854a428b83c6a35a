-- int_customer_regions: the one region rule (grain: dataset_id, customer_id; every customer with a record
-- or a line). A view without parameters.
--
-- A customer's region is the region of their customer record; without one, the region named on their
-- earliest order line that names one (several on that day: the first alphabetically). That line's date
-- is region_known_from, so a mart as of an earlier date knows no region yet: the rule never reads a
-- line from after the as-of date, and a customer does not move between regions as the date moves on.
-- (The record, like every attribute of the customers table, is an undated snapshot: known always.)
--
-- Column contract:
--   dataset_id, customer_id
--   region             VARCHAR  NULL when neither the record nor any line names one
--   region_known_from  DATE     NULL when the region comes from the record (or there is none)
with line_regions as (
    -- grain change: lines -> the first day each customer's lines name each region
    select dataset_id, customer_id, region, min(order_date) as first_named_on
    from int_order_lines
    where region is not null
    group by dataset_id, customer_id, region
),

first_line_regions as (
    -- the earliest; several on that day: the first alphabetically
    select
        dataset_id,
        customer_id,
        region,
        first_named_on,
        row_number() over (partition by dataset_id, customer_id order by first_named_on, region) as line_rank
    from line_regions
),

final as (
    select
        coalesce(c.dataset_id, l.dataset_id) as dataset_id,
        coalesce(c.customer_id, l.customer_id) as customer_id,
        coalesce(c.region, l.region) as region,
        case when c.region is null then l.first_named_on end as region_known_from
    from stg_customers as c
    full outer join (select * from first_line_regions where line_rank = 1) as l
        on l.dataset_id = c.dataset_id and l.customer_id = c.customer_id
)

select * from final
