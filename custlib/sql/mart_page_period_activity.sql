-- One row per calendar period (month, quarter or year) from the first period with an order line to
-- the period that contains $as_of: the headline numbers and trends of the Overview page, for all
-- customers or only those in $customer_ids. Grain: period_start.
-- Params: $dataset_id INTEGER, $as_of DATE, $grain ('month' | 'quarter' | 'year'),
--         $customer_ids VARCHAR[] (NULL = every customer; the ids a custlib.filters.CustomerFilter matched).
-- Only rows dated on or before $as_of are read, so the last period is "to date" when is_complete is false.
--
-- Definitions are those of custlib/kpis.py (mart_period_kpis), so that with $customer_ids NULL each row
-- equals kpis.activity_kpis of its period (tests/test_filters.py checks it):
--   revenue_amount            net amount of all lines in the period (returns subtracted), currency
--   gross_sales_amount        sum of purchase lines (amount >= 0); returns_amount: returns, as a positive amount
--   orders                    distinct order ids among purchase lines + one order per purchase line without an id
--   average_order_value       revenue_amount / orders (currency)
--   active_customers          customers with a purchase in the period; new_customers: first purchase ever in it;
--                             returning_customers = active - new
--   previous_active_customers customers active in the period before; retained_customers: those active again
--   retention_rate (0..1)     retained / previous active (NULL when nobody was active before); churn_rate = 1 - it
--   customers_to_date         customers with a purchase by the period's end (or $as_of, if earlier);
--   repeat_customers_to_date  those with purchases on 2 or more distinct days by then
--   repeat_purchase_rate      repeat_customers_to_date / customers_to_date
--   is_complete               the period ended on or before $as_of
with params as (
    select
        cast($as_of as date) as as_of_date,
        cast($grain as varchar) as grain,
        case cast($grain as varchar)
            when 'month' then interval 1 month
            when 'quarter' then interval 3 month
            when 'year' then interval 1 year
        end as period_length
),

selected as (
    select unnest(cast($customer_ids as varchar[])) as customer_id
),

lines as (
    select
        t.customer_id,
        t.order_id,
        t.order_date,
        t.amount,
        cast(date_trunc(p.grain, t.order_date) as date) as period_start
    from transactions as t
    cross join params as p
    where t.dataset_id = $dataset_id
      and t.order_date <= p.as_of_date
      and t.customer_id is not null
      and t.amount is not null
      and ($customer_ids is null or t.customer_id in (select customer_id from selected))
),

calendar as (
    select
        cast(g.generate_series as date) as period_start,
        cast(g.generate_series - p.period_length as date) as previous_period_start,
        cast(g.generate_series + p.period_length as date) - 1 as period_end,
        least(cast(g.generate_series + p.period_length as date) - 1, p.as_of_date) as counted_until
    from params as p
    cross join (select min(period_start) as first_period_start from lines) as f
    cross join generate_series(f.first_period_start, p.as_of_date, p.period_length) as g
),

period_totals as (
    select
        period_start,
        sum(amount) as revenue_amount,
        coalesce(sum(amount) filter (where amount >= 0), 0) as gross_sales_amount,
        coalesce(-sum(amount) filter (where amount < 0), 0) as returns_amount,
        count(distinct order_id) filter (where amount >= 0 and order_id is not null)
            + count(*) filter (where amount >= 0 and order_id is null) as orders
    from lines
    group by period_start
),

customer_periods as (
    -- grain change: lines -> one row per customer and period with a purchase (a return alone is not activity)
    select distinct customer_id, period_start
    from lines
    where amount >= 0
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
        select customer_id, order_date,
               row_number() over (partition by customer_id order by order_date) as purchase_day_number
        from purchase_days
    )
    group by customer_id
),

activity as (
    select
        c.period_start,
        count(cp.customer_id) as active_customers,
        count(cp.customer_id) filter (where m.first_purchase_date >= c.period_start) as new_customers
    from calendar as c
    left join customer_periods as cp using (period_start)
    left join customer_milestones as m using (customer_id)
    group by c.period_start
),

carried_over as (
    select
        c.period_start,
        count(*) as previous_active_customers,
        count(cur.customer_id) as retained_customers
    from calendar as c
    inner join customer_periods as prev on prev.period_start = c.previous_period_start
    left join customer_periods as cur
        on cur.customer_id = prev.customer_id and cur.period_start = c.period_start
    group by c.period_start
),

to_date as (
    select
        c.period_start,
        count(m.customer_id) as customers_to_date,
        count(m.second_purchase_date) filter (where m.second_purchase_date <= c.counted_until)
            as repeat_customers_to_date
    from calendar as c
    left join customer_milestones as m on m.first_purchase_date <= c.counted_until
    group by c.period_start
),

final as (
    select
        c.period_start,
        c.period_end,
        c.period_end <= p.as_of_date as is_complete,
        coalesce(t.revenue_amount, 0) as revenue_amount,
        coalesce(t.gross_sales_amount, 0) as gross_sales_amount,
        coalesce(t.returns_amount, 0) as returns_amount,
        coalesce(t.orders, 0) as orders,
        t.revenue_amount / nullif(t.orders, 0) as average_order_value,
        a.active_customers,
        a.new_customers,
        a.active_customers - a.new_customers as returning_customers,
        coalesce(o.previous_active_customers, 0) as previous_active_customers,
        coalesce(o.retained_customers, 0) as retained_customers,
        o.retained_customers / nullif(o.previous_active_customers, 0) as retention_rate,
        1 - o.retained_customers / nullif(o.previous_active_customers, 0) as churn_rate,
        d.customers_to_date,
        d.repeat_customers_to_date,
        d.repeat_customers_to_date / nullif(d.customers_to_date, 0) as repeat_purchase_rate
    from calendar as c
    cross join params as p
    left join period_totals as t using (period_start)
    inner join activity as a using (period_start)
    inner join to_date as d using (period_start)
    left join carried_over as o using (period_start)
)

select * from final order by period_start
