-- The last order date of one dataset (grain: one row; NULL when it has no lines): the as-of date a page
-- or report uses when none is given. Param: $dataset_id INTEGER. Column: last_order_date DATE.
with lines as (
    select order_date from int_order_lines where dataset_id = $dataset_id
),

final as (
    select max(order_date) as last_order_date from lines
)

select * from final
