-- One row per customer order placed on or before $as_of (grain: customer_id, order_key).
-- Params: $dataset_id INTEGER, $as_of DATE. Only lines dated on or before $as_of are read,
-- so a backtest as of a past date sees exactly what was known then.
--
-- An order is a distinct (customer_id, order_id). A line without an order_id is an order
-- of its own (keyed by its import and source row): nothing says which such lines belong together.
-- A purchase order has at least one line with amount >= 0 (a $0 free item counts);
-- an order made only of negative lines (a refund booked under its own id) is not a purchase.
-- mart_customer_features repeats the `lines` and `final` CTEs below as `lines` and `orders`;
-- tests/test_features.py checks the two agree.
with lines as (
    select
        customer_id,
        order_id,
        coalesce(order_id, '#' || import_id || '-' || source_row) as order_key,
        order_id is null as is_unkeyed,
        order_date,
        amount,
        coalesce(is_promo, false) as is_promo,
        coalesce(discount_amount, 0) as discount_amount
    from transactions
    where dataset_id = $dataset_id
      and order_date <= $as_of::date
      and customer_id is not null
      and amount is not null
),

final as (
    select
        customer_id,
        order_key,
        any_value(order_id) as order_id,
        -- the day the order was placed: its first purchase line (a later return keeps the date)
        coalesce(min(order_date) filter (where amount >= 0), min(order_date)) as order_date,
        max(order_date) as last_line_date,
        count(*) as lines_count,
        count(*) filter (where amount < 0) as return_lines_count,
        sum(amount) as net_amount,
        coalesce(sum(amount) filter (where amount > 0), 0) as gross_amount,
        coalesce(-sum(amount) filter (where amount < 0), 0) as returns_amount,
        sum(discount_amount) as discount_amount,
        bool_or(is_promo) as is_promo,
        count(*) filter (where amount >= 0) > 0 as is_purchase
    from lines
    group by customer_id, order_key, is_unkeyed
)

select * from final
