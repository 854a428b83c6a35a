-- One row per calendar month of the dataset, from its first to its last order month (grain: month).
-- Page-ready headline numbers for the Overview page. Parameter: $dataset_id INTEGER.
--
-- Columns (the contract; ui/data.py MONTHLY_OVERVIEW_COLUMNS and tests/app/test_overview.py check it):
--   month             DATE     first day of the calendar month
--   revenue           DOUBLE   net amount booked in the month: purchases minus returns (currency units)
--   orders            BIGINT   purchase orders placed in the month: distinct (customer_id, order_id) with a
--                              line of amount >= 0; a line without an order_id is an order of its own
--   active_customers  BIGINT   distinct customers with a purchase line (amount >= 0) in the month
--   new_customers     BIGINT   customers whose first purchase line falls in the month
--   returns_amount    DOUBLE   returns and refunds booked in the month, as a positive amount
--   is_complete       BOOLEAN  the month ended on or before the dataset's last order date (the as-of date);
--                              the last month is usually partial and must not be compared as a whole month
-- Months without any line are present, with zeros, so charts show gaps as gaps.
with lines as (
    -- A line without a customer, a date or an amount cannot be counted in any month.
    select
        customer_id,
        coalesce(order_id, '#' || import_id || '-' || source_row) as order_key,
        order_date,
        cast(date_trunc('month', order_date) as date) as month,
        amount
    from transactions
    where dataset_id = $dataset_id
      and customer_id is not null
      and order_date is not null
      and amount is not null
),

bounds as (
    select
        min(month) as first_month,
        max(month) as last_month,
        max(order_date) as as_of_date
    from lines
),

months as (
    select cast(generate_series as date) as month
    from bounds, generate_series(bounds.first_month, bounds.last_month, interval 1 month)
),

first_purchases as (
    select customer_id, min(month) as month
    from lines
    where amount >= 0
    group by customer_id
),

monthly_lines as (
    select
        month,
        sum(amount) as revenue,
        count(distinct (customer_id, order_key)) filter (where amount >= 0) as orders,
        count(distinct customer_id) filter (where amount >= 0) as active_customers,
        coalesce(-sum(amount) filter (where amount < 0), 0) as returns_amount
    from lines
    group by month
),

monthly_new as (
    select month, count(*) as new_customers
    from first_purchases
    group by month
),

final as (
    select
        m.month,
        coalesce(l.revenue, 0) as revenue,
        coalesce(l.orders, 0) as orders,
        coalesce(l.active_customers, 0) as active_customers,
        coalesce(n.new_customers, 0) as new_customers,
        coalesce(l.returns_amount, 0) as returns_amount,
        (m.month + interval 1 month - interval 1 day) <= b.as_of_date as is_complete
    from months as m
    cross join bounds as b
    left join monthly_lines as l using (month)
    left join monthly_new as n using (month)
)

select * from final order by month
