-- Headline numbers of one period [$period_start, $period_end] (dates, inclusive), with the period
-- before it [$previous_start, $previous_end] for retention. Only rows dated on or before
-- $period_end are read. A purchase is a line with amount >= 0; revenue is net of returns.
-- Orders: distinct order ids among purchase lines, plus one order per purchase line without an id.
with lines as (
    select customer_id, order_id, order_date, amount
    from transactions
    where dataset_id = $dataset_id and order_date <= $period_end
),

first_purchases as (
    select customer_id, min(order_date) as first_purchase_date
    from lines
    where amount >= 0
    group by customer_id
),

purchase_days_to_date as (
    select customer_id, count(distinct order_date) as purchase_days
    from lines
    where amount >= 0
    group by customer_id
),

period_lines as (
    select * from lines where order_date between $period_start and $period_end
),

active as (
    select distinct customer_id from period_lines where amount >= 0
),

previous_active as (
    select distinct customer_id
    from lines
    where amount >= 0 and order_date between $previous_start and $previous_end
),

totals as (
    select
        coalesce(sum(amount), 0) as revenue_amount,
        coalesce(sum(amount) filter (where amount >= 0), 0) as gross_sales_amount,
        coalesce(-sum(amount) filter (where amount < 0), 0) as returns_amount,
        count(distinct order_id) filter (where amount >= 0 and order_id is not null)
            + count(*) filter (where amount >= 0 and order_id is null) as orders
    from period_lines
),

customers as (
    select
        (select count(*) from active) as active_customers,
        (select count(*) from first_purchases
         where first_purchase_date between $period_start and $period_end) as new_customers,
        (select count(*) from previous_active) as previous_active_customers,
        (select count(*) from previous_active join active using (customer_id)) as retained_customers,
        (select count(*) from first_purchases) as customers_to_date,
        (select count(*) from purchase_days_to_date where purchase_days >= 2) as repeat_customers_to_date
),

final as (
    select
        cast($period_start as date) as period_start,
        cast($period_end as date) as period_end,
        totals.revenue_amount,
        totals.gross_sales_amount,
        totals.returns_amount,
        totals.orders,
        totals.revenue_amount / nullif(totals.orders, 0) as average_order_value,
        customers.active_customers,
        customers.new_customers,
        customers.active_customers - customers.new_customers as returning_customers,
        customers.previous_active_customers,
        customers.retained_customers,
        customers.retained_customers / nullif(customers.previous_active_customers, 0) as retention_rate,
        1 - customers.retained_customers / nullif(customers.previous_active_customers, 0) as churn_rate,
        customers.customers_to_date,
        customers.repeat_customers_to_date,
        customers.repeat_customers_to_date / nullif(customers.customers_to_date, 0) as repeat_purchase_rate
    from totals, customers
)

select * from final
