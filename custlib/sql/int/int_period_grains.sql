-- int_period_grains: the calendar periods a mart can count by, and how long each is (grain: grain).
-- A view without parameters. Weeks start on Monday (date_trunc('week') in DuckDB and Spark alike).
--
-- Column contract:
--   grain          VARCHAR   'week', 'month', 'quarter' or 'year'
--   period_length  INTERVAL  added to a period's start gives the next period's start
with grains as (
    select 'week' as grain, interval 7 day as period_length
    union all select 'month', interval 1 month
    union all select 'quarter', interval 3 month
    union all select 'year', interval 1 year
),

final as (
    select grain, period_length from grains
)

select * from final
