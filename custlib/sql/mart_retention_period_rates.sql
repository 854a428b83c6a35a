-- One row per calendar period that has ended on or before $as_of, from the first period with an
-- order line: who was active, who came back, and how much of last period's revenue stayed.
-- Grain: period_start. Parameters: $dataset_id, $as_of (date), $grain ('week' | 'month' | 'quarter').
--
-- A purchase is an order line with amount >= 0; a customer is active in a period when they made a
-- purchase in it (a return alone does not count). Revenue is net: returns are subtracted in the
-- period they are booked. Definitions of the rates: see period_rates() in custlib/retention.py.
-- Columns: see PERIOD_RATE_COLUMNS in custlib/retention.py.
with params as (
    select
        cast($as_of as date) as as_of_date,
        cast($grain as varchar) as grain,
        case cast($grain as varchar)
            when 'week' then interval 7 day
            when 'month' then interval 1 month
            when 'quarter' then interval 3 month
        end as period_length
),

lines as (
    -- Order lines known on as_of; a line without a customer or an amount belongs to nobody.
    select
        t.customer_id,
        t.order_date,
        t.amount,
        cast(date_trunc(p.grain, t.order_date) as date) as period_start
    from transactions as t
    cross join params as p
    where t.dataset_id = $dataset_id
      and t.order_date <= p.as_of_date
      and t.customer_id is not null
      and t.amount is not null
),

calendar as (
    -- Every period from the first one with data to the last one that has ended, gaps included.
    select
        cast(g.generate_series as date) as period_start,
        cast(g.generate_series - p.period_length as date) as previous_period_start,
        cast(g.generate_series + p.period_length as date) - 1 as period_end
    from params as p
    cross join (select min(period_start) as first_period_start from lines) as f
    cross join generate_series(f.first_period_start, p.as_of_date, p.period_length) as g
    where cast(g.generate_series + p.period_length as date) - 1 <= p.as_of_date
),

customer_periods as (
    -- Grain change: order lines -> one row per customer and period.
    select
        customer_id,
        period_start,
        bool_or(amount >= 0) as is_active,
        sum(amount) as net_amount
    from lines
    group by customer_id, period_start
),

purchase_days as (
    select distinct customer_id, order_date
    from lines
    where amount >= 0
),

customer_milestones as (
    -- first purchase day and second distinct purchase day (NULL until there is one)
    select
        customer_id,
        min(order_date) as first_purchase_date,
        min(order_date) filter (where purchase_day_number = 2) as second_purchase_date
    from (
        select
            customer_id,
            order_date,
            row_number() over (partition by customer_id order by order_date) as purchase_day_number
        from purchase_days
    )
    group by customer_id
),

current_activity as (
    select
        c.period_start,
        count(cp.customer_id) filter (where cp.is_active) as active_customers,
        count(cp.customer_id) filter (
            where cp.is_active and m.first_purchase_date < c.period_start) as returning_customers,
        coalesce(sum(cp.net_amount), 0) as revenue_amount
    from calendar as c
    left join customer_periods as cp on cp.period_start = c.period_start
    left join customer_milestones as m on m.customer_id = cp.customer_id
    group by c.period_start
),

carried_over as (
    -- customers active in the previous period, followed into this one
    select
        c.period_start,
        count(*) as previous_active_customers,
        count(*) filter (where cur.is_active) as retained_customers,
        sum(prev.net_amount) as previous_revenue_amount,
        coalesce(sum(cur.net_amount), 0) as retained_revenue_amount
    from calendar as c
    inner join customer_periods as prev
        on prev.period_start = c.previous_period_start and prev.is_active
    left join customer_periods as cur
        on cur.customer_id = prev.customer_id and cur.period_start = c.period_start
    group by c.period_start
),

to_date as (
    select
        c.period_start,
        count(m.first_purchase_date) as customers_to_date,
        count(m.second_purchase_date) filter (where m.second_purchase_date <= c.period_end) as repeat_customers_to_date
    from calendar as c
    left join customer_milestones as m on m.first_purchase_date <= c.period_end
    group by c.period_start
),

final as (
    select
        c.period_start,
        c.period_end,
        a.active_customers,
        a.active_customers - a.returning_customers as new_customers,
        a.returning_customers,
        coalesce(o.previous_active_customers, 0) as previous_active_customers,
        coalesce(o.retained_customers, 0) as retained_customers,
        o.retained_customers / o.previous_active_customers as retention_rate,
        1 - o.retained_customers / o.previous_active_customers as churn_rate,
        d.customers_to_date,
        d.repeat_customers_to_date,
        d.repeat_customers_to_date / nullif(d.customers_to_date, 0) as repeat_purchase_rate,
        a.returning_customers / nullif(a.active_customers, 0) as returning_buyer_share,
        a.revenue_amount,
        o.previous_revenue_amount,
        o.retained_revenue_amount,
        case when o.previous_revenue_amount > 0
             then o.retained_revenue_amount / o.previous_revenue_amount end as net_revenue_retention
    from calendar as c
    inner join current_activity as a using (period_start)
    inner join to_date as d using (period_start)
    left join carried_over as o using (period_start)
)

select * from final order by period_start
