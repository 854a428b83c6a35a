-- int_churn_labels: which customers bought again in the label window ($feature_date, $label_end]?
-- Grain: customer_id (unique, not null); only customers with a purchase day inside the window appear.
-- Params: $dataset_id INTEGER, $feature_date DATE, $label_end DATE (both bound, never string-built).
--
-- A purchase day is a day with at least one line of amount >= 0, the rule of mart_customer_features
-- (a $0 free item counts; a refund alone does not). custlib.churn joins this to the customers active on
-- $feature_date: an active customer without a row here made no purchase in the window, i.e. churned.
-- Nothing dated after $label_end, and nothing on or before $feature_date, is read.
--
-- Column contract:
--   customer_id               VARCHAR
--   next_order_date           DATE     first purchase day in the window
--   purchase_days_in_window   BIGINT   distinct purchase days in the window, >= 1
with window_lines as (
    select
        customer_id,
        order_date
    from transactions
    where dataset_id = $dataset_id
      and order_date > $feature_date::date
      and order_date <= $label_end::date
      and customer_id is not null
      and amount >= 0
),

final as (
    select
        customer_id,
        min(order_date) as next_order_date,
        count(distinct order_date) as purchase_days_in_window
    from window_lines
    group by customer_id
)

select * from final order by customer_id
