-- One row per acquisition cohort and period number k (0, 1, 2, ...), as known on $as_of.
-- Grain: (cohort_start, period_number). Page-ready input of the cohort retention matrices.
-- Parameters: $dataset_id, $as_of (date), $grain ('week' | 'month' | 'quarter'; weeks start on Monday),
-- $customer_ids (VARCHAR[] of the customers to count, or NULL for every customer: the pages' filters).
--
-- A purchase is a purchase day of int_customer_days (a line with amount >= 0; amount < 0 is a return).
-- A customer's cohort is the period of their first purchase. A period counts only once it has
-- ended on or before $as_of: cells of later periods are NULL (not reached yet, never churn), and
-- a cohort whose own acquisition period has not ended is left out (its size is still growing).
-- Columns: see COHORT_COLUMNS in custlib/retention.py.
with selected as (
    select unnest(cast($customer_ids as varchar[])) as customer_id
),

customer_periods as (
    -- Grain change: customer days known on as_of -> one row per customer and period.
    select
        d.customer_id,
        cast(date_trunc(p.grain, d.order_date) as date) as period_start,
        bool_or(d.is_purchase_day) as is_purchase,  -- a return alone does not make a customer active
        sum(d.net_amount) as net_amount
    from int_customer_days as d
    inner join int_period_grains as p on p.grain = cast($grain as varchar)
    where d.dataset_id = $dataset_id
      and d.order_date <= cast($as_of as date)
      and ($customer_ids is null or d.customer_id in (select customer_id from selected))
    group by d.customer_id, cast(date_trunc(p.grain, d.order_date) as date)
),

cohorts as (
    select
        customer_id,
        min(period_start) filter (where is_purchase) as cohort_start
    from customer_periods
    group by customer_id
    having min(period_start) filter (where is_purchase) is not null  -- customers with only returns have no cohort
),

customer_cells as (
    select
        c.cohort_start,
        cp.customer_id,
        cp.is_purchase,
        cp.net_amount,
        case p.grain
            when 'week' then datediff('day', c.cohort_start, cp.period_start) // 7
            else datediff(p.grain, c.cohort_start, cp.period_start)
        end as period_number
    from cohorts as c
    inner join customer_periods as cp using (customer_id)
    inner join int_period_grains as p on p.grain = cast($grain as varchar)
    where cp.period_start >= c.cohort_start  -- a return booked before the first purchase's period belongs to no cell
),

cells as (
    select
        cohort_start,
        period_number,
        count(*) filter (where is_purchase) as active_customers,
        sum(net_amount) as revenue_amount
    from customer_cells
    group by cohort_start, period_number
),

cohort_sizes as (
    select
        c.cohort_start,
        count(*) as cohort_customers
    from cohorts as c
    inner join int_period_grains as p on p.grain = cast($grain as varchar)
    where cast(c.cohort_start + p.period_length as date) - 1 <= cast($as_of as date)  -- acquisition period has ended
    group by c.cohort_start
),

horizon as (
    -- The oldest cohort's last ended period number: the width of the matrix.
    select
        max(case p.grain
                when 'week' then datediff('day', s.cohort_start, cast($as_of as date) + 1) // 7
                else datediff(p.grain, s.cohort_start, cast($as_of as date) + 1)
            end) - 1 as max_period_number
    from cohort_sizes as s
    inner join int_period_grains as p on p.grain = cast($grain as varchar)
),

period_numbers as (
    select unnest(range(0, max_period_number + 1)) as period_number
    from horizon
    where max_period_number is not null
),

grid as (
    -- Every cohort x every period number up to the horizon, so that cells a young cohort has not
    -- reached appear as explicit NULLs.
    select
        s.cohort_start,
        s.cohort_customers,
        k.period_number,
        cast(s.cohort_start + p.period_length * k.period_number as date) as period_start,
        cast(s.cohort_start + p.period_length * (k.period_number + 1) as date) - 1 as period_end,
        cast($as_of as date) as as_of_date
    from cohort_sizes as s
    cross join period_numbers as k
    inner join int_period_grains as p on p.grain = cast($grain as varchar)
),

final as (
    select
        g.cohort_start,
        g.period_number,
        g.period_start,
        g.period_end,
        g.period_end <= g.as_of_date as is_observed,
        g.cohort_customers,
        case when g.period_end <= g.as_of_date then coalesce(c.active_customers, 0) end as active_customers,
        case when g.period_end <= g.as_of_date
             then coalesce(c.active_customers, 0) / g.cohort_customers end as retention_share,
        case when g.period_end <= g.as_of_date then coalesce(c.revenue_amount, 0) end as revenue_amount,
        c0.revenue_amount as cohort_revenue_amount,
        case when g.period_end <= g.as_of_date and c0.revenue_amount > 0
             then coalesce(c.revenue_amount, 0) / c0.revenue_amount end as revenue_retention
    from grid as g
    left join cells as c
        on c.cohort_start = g.cohort_start and c.period_number = g.period_number
    left join cells as c0
        on c0.cohort_start = g.cohort_start and c0.period_number = 0
)

select * from final order by cohort_start, period_number