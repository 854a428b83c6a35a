-- mart_clv_summary: one row per customer, the repeat-purchase summary the CLV models read, as of a date.
--
-- Parameters (bound, never string-built):
--   $dataset_id  INTEGER  the dataset to summarise
--   $as_of       DATE     end of the calibration period; only occasions on or before it count
--   $unit_days   DOUBLE   length of the model's time unit in days (day 1, week 7, month 365.25/12)
--
-- Purchase occasions are int_purchase_occasions (the settled rule: a day with a line of zero or positive
-- amount; its spend is the day's net amount, so it can be negative).
--
-- Column contract (grain: customer_id, unique, not null):
--   customer_id          VARCHAR
--   frequency            BIGINT   occasions after the first (repeat purchase occasions), >= 0
--   recency              DOUBLE   (last occasion - first occasion) in model units, 0 when frequency = 0
--   T                    DOUBLE   (as_of - first occasion) in model units, >= recency
--   spend_frequency      BIGINT   repeat occasions (first excluded) with positive net spend
--   monetary_value       DOUBLE   mean net spend of those occasions; NULL when spend_frequency = 0
--                                 (such customers are left out of the Gamma-Gamma fit)
--   first_purchase_date  DATE
--   last_purchase_date   DATE
-- Customers whose lines up to as_of are all returns have no first purchase and no row.
with occasions as (
    select customer_id, occasion_date, occasion_number, spend_amount
    from int_purchase_occasions
    where dataset_id = $dataset_id
      and occasion_date <= cast($as_of as date)
),

per_customer as (
    select
        customer_id,
        count(*) as occasions,
        min(occasion_date) as first_purchase_date,
        max(occasion_date) as last_purchase_date,
        -- repeat occasions only: the first one is the acquisition
        count(*) filter (where occasion_number > 1 and spend_amount > 0) as spend_frequency,
        sum(spend_amount) filter (where occasion_number > 1 and spend_amount > 0) as repeat_spend_amount
    from occasions
    group by customer_id
),

final as (
    select
        customer_id,
        occasions - 1 as frequency,
        datediff('day', first_purchase_date, last_purchase_date) / $unit_days as recency,
        datediff('day', first_purchase_date, cast($as_of as date)) / $unit_days as T,
        spend_frequency,
        case when spend_frequency > 0 then repeat_spend_amount / spend_frequency end as monetary_value,
        first_purchase_date,
        last_purchase_date
    from per_customer
)

select * from final order by customer_id
