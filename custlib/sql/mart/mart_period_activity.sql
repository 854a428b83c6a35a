-- mart_period_activity: one row per calendar period (week, month, quarter or year) from the first period
-- with an order line to the period that contains $as_of: revenue, orders, who was active, who came back
-- and how much of last period's revenue stayed, for all customers or only those in $customer_ids.
-- Grain: period_start. The one period-activity query: the Overview's cards and trends
-- (custlib.kpis.activity_kpis) and the retention page's rates read it through
-- custlib.retention.period_activity.
--
-- Params: $dataset_id INTEGER, $as_of DATE, $grain ('week' | 'month' | 'quarter' | 'year'; weeks start on
--         Monday), $customer_ids VARCHAR[] (NULL = every customer; the ids a custlib.filters.CustomerFilter
--         matched). Only days on or before $as_of are read, so the last period is "to date" when
--         is_complete is false.
--
-- Columns: period_start, period_end (DATE) and, defined as custlib/kpis.py shows them to users:
--   revenue_amount            net amount of all lines in the period (returns subtracted), currency
--   gross_sales_amount        sale lines (amount > 0); returns_amount: returns, as a positive amount
--   orders                    distinct orders (stg_transactions.order_key) with a sale line in the period
--   average_order_value       revenue_amount / orders (currency)
--   active_customers          customers with a purchase in the period
--   new_customers             of them, those whose first purchase ever is in it; returning_customers =
--                             active - new; returning_buyer_share = returning / active
--   previous_active_customers customers active in the period before; retained_customers: those active again
--   retention_rate (0..1)     retained / previous active (NULL when nobody was active before); churn_rate = 1 - it
--   previous_revenue_amount   net revenue of the previous period's active customers in that period;
--   retained_revenue_amount   what the same customers spent (net) in this period;
--   net_revenue_retention     retained / previous revenue (NULL unless previous revenue was positive)
--   customers_to_date         customers with a purchase by the period's end (or $as_of, if earlier);
--   repeat_customers_to_date  those with purchases on 2 or more distinct days by then
--   repeat_purchase_rate      repeat_customers_to_date / customers_to_date
--   is_complete               the period ended on or before $as_of
with selected as (
    select unnest(cast($customer_ids as varchar[])) as customer_id
),

days as (
    select
        d.customer_id,
        d.is_purchase_day,
        d.net_amount,
        d.gross_amount,
        d.returns_amount,
        cast(date_trunc(p.grain, d.order_date) as date) as period_start
    from int_customer_days as d
    inner join int_period_grains as p on p.grain = cast($grain as varchar)
    where d.dataset_id = $dataset_id
      and d.order_date <= cast($as_of as date)
      and ($customer_ids is null or d.customer_id in (select customer_id from selected))
),

calendar as (
    select
        cast(g.generate_series as date) as period_start,
        cast(g.generate_series - p.period_length as date) as previous_period_start,
        cast(g.generate_series + p.period_length as date) - 1 as period_end,
        least(cast(g.generate_series + p.period_length as date) - 1, cast($as_of as date)) as counted_until
    from int_period_grains as p
    cross join (select min(period_start) as first_period_start from days) as f
    cross join generate_series(f.first_period_start, cast($as_of as date), p.period_length) as g
    where p.grain = cast($grain as varchar)
),

period_totals as (
    select
        period_start,
        sum(net_amount) as revenue_amount,
        sum(gross_amount) as gross_sales_amount,
        sum(returns_amount) as returns_amount
    from days
    group by period_start
),

period_orders as (
    -- an order counts in each period it has a sale line in
    select period_start, count(*) as orders
    from (
        select distinct
            cast(date_trunc(p.grain, o.order_date) as date) as period_start,
            o.customer_id,
            o.order_key,
            o.is_unkeyed
        from int_order_lines as o
        inner join int_period_grains as p on p.grain = cast($grain as varchar)
        where o.dataset_id = $dataset_id
          and o.order_date <= cast($as_of as date)
          and o.is_sale
          and ($customer_ids is null or o.customer_id in (select customer_id from selected))
    ) as period_order_keys
    group by period_start
),

customer_periods as (
    -- grain change: days -> one row per customer and period (a return alone is not activity)
    select
        customer_id,
        period_start,
        bool_or(is_purchase_day) as is_active,
        sum(net_amount) as net_amount
    from days
    group by customer_id, period_start
),

milestones as (
    -- first and second purchase day as known on $as_of
    select
        customer_id,
        first_purchase_date,
        case when second_purchase_date <= cast($as_of as date) then second_purchase_date end as second_purchase_date
    from int_customer_milestones
    inner join int_period_grains as p on p.grain = cast($grain as varchar)
    where dataset_id = $dataset_id
      and first_purchase_date <= cast($as_of as date)
      and ($customer_ids is null or customer_id in (select customer_id from selected))
),

activity as (
    select
        c.period_start,
        count(cp.customer_id) as active_customers,
        count(cp.customer_id) filter (where m.first_purchase_date >= c.period_start) as new_customers
    from calendar as c
    left join customer_periods as cp on cp.period_start = c.period_start and cp.is_active
    left join milestones as m on m.customer_id = cp.customer_id
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
        count(m.customer_id) as customers_to_date,
        count(m.second_purchase_date) filter (where m.second_purchase_date <= c.counted_until)
            as repeat_customers_to_date
    from calendar as c
    left join milestones as m on m.first_purchase_date <= c.counted_until
    group by c.period_start
),

final as (
    select
        c.period_start,
        c.period_end,
        c.period_end <= cast($as_of as date) as is_complete,
        coalesce(t.revenue_amount, 0) as revenue_amount,
        coalesce(t.gross_sales_amount, 0) as gross_sales_amount,
        coalesce(t.returns_amount, 0) as returns_amount,
        coalesce(po.orders, 0) as orders,
        t.revenue_amount / nullif(po.orders, 0) as average_order_value,
        a.active_customers,
        a.new_customers,
        a.active_customers - a.new_customers as returning_customers,
        (a.active_customers - a.new_customers) / nullif(a.active_customers, 0) as returning_buyer_share,
        coalesce(o.previous_active_customers, 0) as previous_active_customers,
        coalesce(o.retained_customers, 0) as retained_customers,
        o.retained_customers / nullif(o.previous_active_customers, 0) as retention_rate,
        1 - o.retained_customers / nullif(o.previous_active_customers, 0) as churn_rate,
        o.previous_revenue_amount,
        o.retained_revenue_amount,
        case when o.previous_revenue_amount > 0
             then o.retained_revenue_amount / o.previous_revenue_amount end as net_revenue_retention,
        d.customers_to_date,
        d.repeat_customers_to_date,
        d.repeat_customers_to_date / nullif(d.customers_to_date, 0) as repeat_purchase_rate
    from calendar as c
    inner join int_period_grains as p on p.grain = cast($grain as varchar)
    left join period_totals as t using (period_start)
    left join period_orders as po using (period_start)
    inner join activity as a using (period_start)
    inner join to_date as d using (period_start)
    left join carried_over as o using (period_start)
)

select * from final order by period_start
