-- mart_churn_labels: which customers bought again in the label window ($feature_date, $label_end]?
-- Grain: customer_id (unique, not null); only customers with a purchase occasion inside the window appear.
-- Params: $dataset_id INTEGER, $feature_date DATE, $label_end DATE (both bound, never string-built).
--
-- A purchase is a purchase occasion (int_purchase_occasions: a $0 free item counts, a refund alone does
-- not). custlib.churn joins this to the customers active on $feature_date: an active customer without a
-- row here made no purchase in the window, i.e. churned. Nothing after $label_end, and nothing on or
-- before $feature_date, is read.
--
-- Column contract:
--   customer_id               VARCHAR
--   next_order_date           DATE     first purchase day in the window
--   purchase_days_in_window   BIGINT   distinct purchase days in the window, >= 1
with window_occasions as (
    select customer_id, occasion_date
    from int_purchase_occasions
    where dataset_id = $dataset_id
      and occasion_date > cast($feature_date as date)
      and occasion_date <= cast($label_end as date)
),

final as (
    select
        customer_id,
        min(occasion_date) as next_order_date,
        count(*) as purchase_days_in_window
    from window_occasions
    group by customer_id
)

select * from final order by customer_id
