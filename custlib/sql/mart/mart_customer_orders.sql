-- One row per customer order placed on or before $as_of (grain: customer_id, order_key): the order list
-- of the Customer profile page. Params: $dataset_id INTEGER, $as_of DATE. Only lines dated on or before
-- $as_of are read, so a backtest as of a past date sees exactly what was known then.
--
-- An order is a distinct (customer_id, order_key) (stg_transactions.order_key). A purchase order has at
-- least one line with amount >= 0 (a $0 free item counts); an order made only of negative lines (a refund
-- booked under its own id) is not a purchase. mart_customer_features counts orders by the same rule;
-- tests/test_features.py checks the two agree.
--
-- Column contract: custlib.features.customer_orders.
with lines as (
    select * from int_order_lines
    where dataset_id = $dataset_id
      and order_date <= cast($as_of as date)
),

final as (
    select
        customer_id,
        order_key,
        any_value(order_id) as order_id,
        -- the day the order was placed: its first purchase line (a later return keeps the date)
        coalesce(min(order_date) filter (where is_sale), min(order_date)) as order_date,
        max(order_date) as last_line_date,
        count(*) as lines_count,
        count(*) filter (where not is_sale) as return_lines_count,
        sum(amount) as net_amount,
        coalesce(sum(amount) filter (where amount > 0), 0) as gross_amount,
        coalesce(-sum(amount) filter (where not is_sale), 0) as returns_amount,
        sum(discount_amount) as discount_amount,
        bool_or(is_promo) as is_promo,
        bool_or(is_sale) as is_purchase
    from lines
    group by customer_id, order_key, is_unkeyed
)

select * from final
