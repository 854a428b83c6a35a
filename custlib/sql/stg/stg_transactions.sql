-- stg_transactions: every stored order line of every dataset, typed and keyed (grain: dataset_id,
-- import_id, source_row). A view without parameters, made by custlib.db when it opens the database.
--
-- Imports store every cell trimmed, blanks as NULL, and refuse a line without customer, date or amount
-- (custlib.io.staging, custlib.io.checks), so nothing is trimmed again here: this view adds the keys and
-- flags that every later model reads, so each rule is written once.
--
-- Column contract:
--   dataset_id       INTEGER
--   import_id        INTEGER
--   source_row       BIGINT   the line's row in its uploaded file (header excluded)
--   customer_id      VARCHAR
--   order_id         VARCHAR  NULL when the export had none
--   order_key        VARCHAR  order_id, else '#<import_id>-<source_row>': a line without an id is an order
--                             of its own (nothing says which such lines belong together)
--   is_unkeyed       BOOLEAN  order_id is NULL (keeps an export's own id '#1-2' apart from a made-up key)
--   order_date       DATE
--   amount           DECIMAL(18,4)  negative = a return or refund; money as an exact decimal, so that a
--                                   total is the same whatever order a parallel engine adds the lines in
--                                   (4 places keep every cent; imports refuse amounts beyond 1e12)
--   is_sale          BOOLEAN  amount >= 0: a purchase line (a $0 free item counts)
--   is_promo         BOOLEAN  NULL counts as false
--   discount_amount  DECIMAL(18,4)  NULL counts as 0
--   channel, category, product, region   VARCHAR
--   quantity         DOUBLE
with source as (
    select * from transactions
),

final as (
    select
        dataset_id, import_id, source_row,  -- where the row came from: its import and its row in the file
        customer_id,
        order_id,
        coalesce(order_id, '#' || cast(import_id as varchar) || '-' || cast(source_row as varchar)) as order_key,
        order_id is null as is_unkeyed,
        order_date,
        cast(amount as decimal(18, 4)) as amount,
        amount >= 0 as is_sale,
        coalesce(is_promo, false) as is_promo,
        cast(coalesce(discount_amount, 0) as decimal(18, 4)) as discount_amount,
        channel,
        category,
        product,
        region,
        quantity
    from source
)

select * from final
