-- int_order_lines: the order lines customer analytics can place (grain: dataset_id, import_id, source_row).
-- A view without parameters; every mart that reads lines reads them here.
--
-- A line without a customer, a date or an amount belongs to no customer, day or total, so it is left out
-- (imports refuse such lines; a database written by another tool might hold some, and
-- mart_data_quality still counts every stored line).
--
-- Column contract: the columns of stg_transactions.
with lines as (
    select * from stg_transactions
),

final as (
    select *
    from lines
    where customer_id is not null
      and order_date is not null
      and amount is not null
)

select * from final
