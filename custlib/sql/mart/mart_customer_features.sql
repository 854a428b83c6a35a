-- One row per customer with at least one order line on or before $as_of (grain: customer_id).
-- Params: $dataset_id INTEGER, $as_of DATE, $days_per_unit DOUBLE (1, 7 or 365.25/12).
-- The column contract, with units, is custlib.features.FEATURE_COLUMNS; a test fails when the two drift.
-- Nothing dated after $as_of is read: order days, interactions and line regions are cut first. (The
-- customers table is an undated snapshot: its attributes are taken as they are now.)
--
-- Windows: "last N days" are the N days ending on $as_of (days_ago 0 .. N-1);
-- "prev N days" are the N days before those (days_ago N .. 2N-1).
with days as (
    select
        customer_id,
        order_date,
        datediff('day', order_date, cast($as_of as date)) as days_ago,
        lines_count,
        return_lines_count,
        is_purchase_day,
        net_amount,
        gross_amount,
        returns_amount
    from int_customer_days
    where dataset_id = $dataset_id
      and order_date <= cast($as_of as date)
),

orders as (
    -- an order as known on $as_of: its lines up to then (the rule of mart_customer_orders)
    select
        customer_id,
        coalesce(min(order_date) filter (where is_sale), min(order_date)) as order_date,
        bool_or(is_promo) as is_promo,
        bool_or(is_sale) as is_purchase
    from int_order_lines
    where dataset_id = $dataset_id
      and order_date <= cast($as_of as date)
    group by customer_id, order_key, is_unkeyed
),

order_summary as (
    select
        customer_id,
        count(*) as orders_count,
        avg(cast(is_promo as integer)) as promo_order_share,
        count(*) filter (where days_ago < 90) as orders_last_90d,
        count(*) filter (where days_ago between 90 and 179) as orders_prev_90d,
        count(*) filter (where days_ago < 180) as orders_last_180d,
        count(*) filter (where days_ago between 180 and 359) as orders_prev_180d,
        count(*) filter (where days_ago < 365) as orders_last_365d,
        count(*) filter (where days_ago between 365 and 729) as orders_prev_365d
    from (
        select *, datediff('day', order_date, cast($as_of as date)) as days_ago
        from orders
        where is_purchase
    ) as purchase_orders
    group by customer_id
),

purchase_day_gaps as (
    -- a purchase day has at least one line with amount >= 0; its value is the net of all its lines
    select
        customer_id,
        order_date as purchase_date,
        net_amount as day_net_amount,
        datediff('day', lag(order_date) over by_customer, order_date) as gap_days
    from days
    where is_purchase_day
    window by_customer as (partition by customer_id order by order_date)
),

purchase_day_summary as (
    select
        customer_id,
        count(*) as purchase_days,
        min(purchase_date) as first_order_date,
        max(purchase_date) as last_order_date,
        median(gap_days) as typical_gap_days,
        -- the first purchase day is the only one without a gap: the rest are repeat purchases
        coalesce(avg(day_net_amount) filter (where gap_days is not null), 0) as monetary_value
    from purchase_day_gaps
    group by customer_id
),

line_summary as (
    select
        customer_id,
        min(order_date) as first_line_date,
        sum(net_amount) as net_spend_amount,
        sum(gross_amount) as gross_sales_amount,
        sum(returns_amount) as returns_amount,
        cast(sum(return_lines_count) as bigint) as returns_count,
        coalesce(sum(net_amount) filter (where days_ago < 90), 0) as spend_last_90d,
        coalesce(sum(net_amount) filter (where days_ago between 90 and 179), 0) as spend_prev_90d,
        coalesce(sum(net_amount) filter (where days_ago < 180), 0) as spend_last_180d,
        coalesce(sum(net_amount) filter (where days_ago between 180 and 359), 0) as spend_prev_180d,
        coalesce(sum(net_amount) filter (where days_ago < 365), 0) as spend_last_365d,
        coalesce(sum(net_amount) filter (where days_ago between 365 and 729), 0) as spend_prev_365d
    from days
    group by customer_id
),

latest_answers as (
    -- the latest-answer rule of int_survey_answers, for NPS and satisfaction apart
    select
        customer_id,
        arg_max(nps_score, answer_number) filter (where nps_score is not null) as last_nps_score,
        arg_max(satisfaction, answer_number) filter (where satisfaction is not null) as last_satisfaction
    from int_survey_answers
    where dataset_id = $dataset_id
      and interaction_date <= cast($as_of as date)
    group by customer_id
),

complaints as (
    select
        customer_id,
        count(*) filter (where datediff('day', interaction_date, cast($as_of as date)) < 90)
            as complaints_last_90d,
        count(*) as complaints_count
    from stg_interactions
    where dataset_id = $dataset_id
      and interaction_date <= cast($as_of as date)
      and kind = 'complaint'
    group by customer_id
),

customer_records as (
    select customer_id, signup_date, industry, company_size, account_manager
    from stg_customers
    where dataset_id = $dataset_id
),

regions as (
    select customer_id, region
    from int_customer_regions
    where dataset_id = $dataset_id
      and (region_known_from is null or region_known_from <= cast($as_of as date))
),

final as (
    select
        l.customer_id,
        d.first_order_date,
        d.last_order_date,
        coalesce(o.orders_count, 0) as orders_count,
        coalesce(d.purchase_days, 0) as purchase_days,
        d.purchase_days - 1 as frequency,
        datediff('day', d.first_order_date, d.last_order_date) as recency_days,
        datediff('day', d.first_order_date, cast($as_of as date)) as T_days,
        datediff('day', d.first_order_date, d.last_order_date) / $days_per_unit as recency,
        datediff('day', d.first_order_date, cast($as_of as date)) / $days_per_unit as T,
        datediff('day', d.last_order_date, cast($as_of as date)) as days_since_last_order,
        l.net_spend_amount,
        l.gross_sales_amount,
        l.returns_amount,
        l.returns_count,
        l.net_spend_amount / nullif(o.orders_count, 0) as avg_order_value,
        d.monetary_value,
        coalesce(o.orders_last_90d, 0) as orders_last_90d,
        coalesce(o.orders_prev_90d, 0) as orders_prev_90d,
        coalesce(o.orders_last_180d, 0) as orders_last_180d,
        coalesce(o.orders_prev_180d, 0) as orders_prev_180d,
        coalesce(o.orders_last_365d, 0) as orders_last_365d,
        coalesce(o.orders_prev_365d, 0) as orders_prev_365d,
        l.spend_last_90d,
        l.spend_prev_90d,
        l.spend_last_180d,
        l.spend_prev_180d,
        l.spend_last_365d,
        l.spend_prev_365d,
        -- a trend is "recent / previous - 1": undefined (NULL) unless the previous window was positive
        o.orders_last_90d / nullif(o.orders_prev_90d, 0) - 1 as orders_trend_90d,
        o.orders_last_180d / nullif(o.orders_prev_180d, 0) - 1 as orders_trend_180d,
        o.orders_last_365d / nullif(o.orders_prev_365d, 0) - 1 as orders_trend_365d,
        case when l.spend_prev_90d > 0 then l.spend_last_90d / l.spend_prev_90d - 1 end as spend_trend_90d,
        case when l.spend_prev_180d > 0 then l.spend_last_180d / l.spend_prev_180d - 1 end as spend_trend_180d,
        case when l.spend_prev_365d > 0 then l.spend_last_365d / l.spend_prev_365d - 1 end as spend_trend_365d,
        d.typical_gap_days,
        o.promo_order_share,
        -- a signup date after $as_of would be news from the future: fall back to the first line
        -- (the first line, not the first purchase, so tenure only grows as as_of moves on)
        datediff('day', case when c.signup_date <= cast($as_of as date) then c.signup_date
                             else l.first_line_date end, cast($as_of as date)) as tenure_days,
        n.last_nps_score,
        n.last_satisfaction,
        coalesce(x.complaints_last_90d, 0) as complaints_last_90d,
        coalesce(x.complaints_count, 0) as complaints_count,
        r.region,
        c.industry,
        c.company_size,
        c.account_manager
    from line_summary as l
    left join purchase_day_summary as d using (customer_id)
    left join order_summary as o using (customer_id)
    left join regions as r using (customer_id)
    left join customer_records as c using (customer_id)
    left join latest_answers as n using (customer_id)
    left join complaints as x using (customer_id)
)

select * from final order by customer_id
