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
    select customer_id, occasion_date, spend_amount
    from int_purchase_occasions
    where dataset_id = $dataset_id
      and occasion_date <= cast($as_of as date)
),

per_customer as (
    -- occasion_number is not read here: without it the view's window is not computed (0.6 s at 1M customers)
    select
        customer_id,
        count(*) as occasions,
        min(occasion_date) as first_purchase_date,
        max(occasion_date) as last_purchase_date,
        arg_min(spend_amount, occasion_date) as first_spend_amount,
        count(*) filter (where spend_amount > 0) as positive_occasions,
        coalesce(sum(spend_amount) filter (where spend_amount > 0), 0) as positive_spend_amount
    from occasions
    group by customer_id
),

repeat_spend as (
    -- take the first occasion back out of the positive-spend count and sum (repeat occasions only)
    select
        *,
        positive_occasions - (case when first_spend_amount > 0 then 1 else 0 end) as spend_frequency,
        positive_spend_amount - greatest(first_spend_amount, 0) as repeat_spend_amount
    from per_customer
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
    from repeat_spend
)

select * from final order by customer_id
