-- mart_capacity_window_activity: one row per customer with a purchase or a satisfaction answer in three
-- back-to-back windows of equal length around a date, for the before/after evaluation of a capacity
-- settings change (custlib/capacity.py).
--
-- Parameters (bound, never string-built):
--   $dataset_id   INTEGER  the dataset to read
--   $change_date  DATE     the day the new settings took effect (first day of the "after" window)
--   $window_days  INTEGER  length of each window in days
--
-- Windows: base   = [change - 2w, change - w)   (who was active before the "before" window)
--          before = [change - w, change)
--          after  = [change, change + w)
-- A purchase is a purchase day of int_customer_days (a return alone does not make a customer active).
-- Satisfaction answers (int_survey_answers.satisfaction, 1-5) count by the day of interaction_at.
--
-- Column contract (grain: customer_id, unique, not null):
--   customer_id                   VARCHAR
--   is_active_base                BOOLEAN  a purchase in the base window
--   is_active_before              BOOLEAN  a purchase in the before window
--   is_active_after               BOOLEAN  a purchase in the after window
--   satisfaction_before_sum       DOUBLE   sum of satisfaction answers in the before window (0 if none)
--   satisfaction_before_count     BIGINT
--   satisfaction_after_sum        DOUBLE
--   satisfaction_after_count      BIGINT
with bounds as (
    select
        cast($change_date as date) - cast($window_days as integer) * 2 as base_start,
        cast($change_date as date) - cast($window_days as integer) as before_start,
        cast($change_date as date) as change_date,
        cast($change_date as date) + cast($window_days as integer) as after_end
),

purchases as (
    select
        d.customer_id,
        bool_or(d.order_date >= b.base_start and d.order_date < b.before_start) as is_active_base,
        bool_or(d.order_date >= b.before_start and d.order_date < b.change_date) as is_active_before,
        bool_or(d.order_date >= b.change_date and d.order_date < b.after_end) as is_active_after
    from int_customer_days as d
    cross join bounds as b
    where d.dataset_id = $dataset_id
      and d.is_purchase_day
      and d.order_date >= b.base_start
      and d.order_date < b.after_end
    group by d.customer_id
),

answers as (
    select
        i.customer_id,
        coalesce(sum(i.satisfaction) filter (where i.interaction_date < b.change_date), 0)
            as satisfaction_before_sum,
        count(*) filter (where i.interaction_date < b.change_date) as satisfaction_before_count,
        coalesce(sum(i.satisfaction) filter (where i.interaction_date >= b.change_date), 0)
            as satisfaction_after_sum,
        count(*) filter (where i.interaction_date >= b.change_date) as satisfaction_after_count
    from int_survey_answers as i
    cross join bounds as b
    where i.dataset_id = $dataset_id
      and i.satisfaction is not null
      and i.interaction_date >= b.before_start
      and i.interaction_date < b.after_end
    group by i.customer_id
),

final as (
    select
        coalesce(p.customer_id, a.customer_id) as customer_id,
        coalesce(p.is_active_base, false) as is_active_base,
        coalesce(p.is_active_before, false) as is_active_before,
        coalesce(p.is_active_after, false) as is_active_after,
        cast(coalesce(a.satisfaction_before_sum, 0) as double) as satisfaction_before_sum,
        coalesce(a.satisfaction_before_count, 0) as satisfaction_before_count,
        cast(coalesce(a.satisfaction_after_sum, 0) as double) as satisfaction_after_sum,
        coalesce(a.satisfaction_after_count, 0) as satisfaction_after_count
    from purchases as p
    full outer join answers as a using (customer_id)
)

select * from final order by customer_id
