-- One row per customer with at least one transaction line on or before $as_of.
-- Params: $dataset_id INTEGER, $as_of DATE, $days_per_unit DOUBLE (1, 7 or 365.25/12).
-- The column contract, with units, is custlib.features.FEATURE_COLUMNS; a test fails when the two drift.
-- Nothing dated after $as_of is read: transactions and interactions are filtered first.
-- (The customers table is an undated snapshot; its attributes are taken as they are now.)
--
-- Windows: "last N days" are the N days ending on $as_of (days_ago 0 .. N-1);
-- "prev N days" are the N days before those (days_ago N .. 2N-1).
with lines as (
    -- same filter and order key as int_customer_orders.lines
    select
        customer_id,
        coalesce(order_id, '#' || import_id || '-' || source_row) as order_key,
        order_id is null as is_unkeyed,
        order_date,
        $as_of::date - order_date as days_ago,
        amount,
        coalesce(is_promo, false) as is_promo,
        region
    from transactions
    where dataset_id = $dataset_id
      and order_date <= $as_of::date
      and customer_id is not null
      and amount is not null
),

orders as (
    -- same grain and rules as int_customer_orders.final
    select
        customer_id,
        order_key,
        coalesce(min(order_date) filter (where amount >= 0), min(order_date)) as order_date,
        bool_or(is_promo) as is_promo,
        count(*) filter (where amount >= 0) > 0 as is_purchase
    from lines
    group by customer_id, order_key, is_unkeyed
),

order_summary as (
    select
        customer_id,
        count(*) as orders_count,
        avg(is_promo::integer) as promo_order_share,
        count(*) filter (where $as_of::date - order_date < 90) as orders_last_90d,
        count(*) filter (where $as_of::date - order_date between 90 and 179) as orders_prev_90d,
        count(*) filter (where $as_of::date - order_date < 180) as orders_last_180d,
        count(*) filter (where $as_of::date - order_date between 180 and 359) as orders_prev_180d,
        count(*) filter (where $as_of::date - order_date < 365) as orders_last_365d,
        count(*) filter (where $as_of::date - order_date between 365 and 729) as orders_prev_365d
    from orders
    where is_purchase
    group by customer_id
),

purchase_days as (
    -- a purchase day has at least one line with amount >= 0; its value is the net of all its lines
    select
        customer_id,
        order_date as purchase_date,
        sum(amount) as day_net_amount
    from lines
    group by customer_id, order_date
    having count(*) filter (where amount >= 0) > 0
),

purchase_day_gaps as (
    select
        customer_id,
        purchase_date,
        day_net_amount,
        purchase_date - lag(purchase_date) over by_customer as gap_days
    from purchase_days
    window by_customer as (partition by customer_id order by purchase_date)
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
        sum(amount) as net_spend_amount,
        coalesce(sum(amount) filter (where amount > 0), 0) as gross_sales_amount,
        coalesce(-sum(amount) filter (where amount < 0), 0) as returns_amount,
        count(*) filter (where amount < 0) as returns_count,
        coalesce(sum(amount) filter (where days_ago < 90), 0) as spend_last_90d,
        coalesce(sum(amount) filter (where days_ago between 90 and 179), 0) as spend_prev_90d,
        coalesce(sum(amount) filter (where days_ago < 180), 0) as spend_last_180d,
        coalesce(sum(amount) filter (where days_ago between 180 and 359), 0) as spend_prev_180d,
        coalesce(sum(amount) filter (where days_ago < 365), 0) as spend_last_365d,
        coalesce(sum(amount) filter (where days_ago between 365 and 729), 0) as spend_prev_365d
    from lines
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
    select customer_id, signup_date, region, industry, company_size, account_manager
    from customers
    where dataset_id = $dataset_id
    qualify row_number() over (partition by customer_id order by import_id desc, source_row desc) = 1
),

customer_interactions as (
    select
        customer_id,
        interaction_at,
        import_id,
        source_row,
        lower(kind) as kind,
        nps_score,
        satisfaction,
        $as_of::date - interaction_at::date as days_ago
    from interactions
    where dataset_id = $dataset_id
      and interaction_at::date <= $as_of::date
),

interaction_summary as (
    select
        customer_id,
        last(nps_score order by interaction_at, import_id, source_row)
            filter (where nps_score is not null) as last_nps_score,
        last(satisfaction order by interaction_at, import_id, source_row)
            filter (where satisfaction is not null) as last_satisfaction,
        count(*) filter (where kind = 'complaint' and days_ago < 90) as complaints_last_90d,
        count(*) filter (where kind = 'complaint') as complaints_count
    from customer_interactions
    group by customer_id
),

final as (
    select
        l.customer_id,
        d.first_order_date,
        d.last_order_date,
        coalesce(o.orders_count, 0) as orders_count,
        coalesce(d.purchase_days, 0) as purchase_days,
        d.purchase_days - 1 as frequency,
        d.last_order_date - d.first_order_date as recency_days,
        $as_of::date - d.first_order_date as T_days,
        (d.last_order_date - d.first_order_date) / $days_per_unit as recency,
        ($as_of::date - d.first_order_date) / $days_per_unit as T,
        $as_of::date - d.last_order_date as days_since_last_order,
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
        $as_of::date - case when c.signup_date <= $as_of::date then c.signup_date
                            else l.first_line_date end as tenure_days,
        i.last_nps_score,
        i.last_satisfaction,
        coalesce(i.complaints_last_90d, 0) as complaints_last_90d,
        coalesce(i.complaints_count, 0) as complaints_count,
        coalesce(c.region, r.transaction_region) as region,
        c.industry,
        c.company_size,
        c.account_manager
    from line_summary as l
    left join purchase_day_summary as d using (customer_id)
    left join order_summary as o using (customer_id)
    left join main_region as r using (customer_id)
    left join customer_records as c using (customer_id)
    left join interaction_summary as i using (customer_id)
)

select * from final order by customer_id
