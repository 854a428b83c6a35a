"""Checks across rows of a staged file: identical rows (reported, kept unless asked), and order ids that
name two customers (the later rows excluded and reported)."""
from __future__ import annotations

from .report import ERROR, INFO, ImportReport, MAX_PROBLEMS_PER_KIND, Problem, WARNING


def _row_key(table: str, fields: list[str]) -> str:
    """What makes two rows the same: the customer id for customers, every field otherwise."""
    return "customer_id" if table == "customers" else ", ".join(fields)


def _find_repeat_groups(cur, table: str, fields: list[str], by_order: bool) -> None:
    """Every group of imported rows that could hold a repeat: ``import_repeat_groups``.

    Both later checks look only at rows that share something: duplicates are identical in every field
    (so, with order ids, they share the order id) and an order-id conflict needs two rows of one order.
    So rows with an order id are grouped by a hash of it and rows without one by a hash of the whole
    row; groups of one row, nearly all rows of a typical file, are settled here, and the exact checks
    then read only the few candidates. ``may_conflict`` marks orders seen under two customers.

    When the first 100,000 rows repeat no order id (one row per order), the order groups are first
    counted alone and customers compared only within the repeated ones: at 10M rows that is 0.6 s
    against 1.2 s for one aggregate with the customer range, whose larger groups no longer fit in
    memory. A file of order lines repeats ids from the start and gets the single aggregate.
    """
    row_hash = f"hash({_row_key(table, fields)})"
    by_rows = (f"select true as by_row, {row_hash} as group_key, false as may_conflict from import_checked "
               f"where not is_bad {'and order_id is null ' if by_order else ''}group by 2 having count(*) > 1")
    if not by_order:
        cur.execute(f"create temp table import_repeat_groups as {by_rows}")
        return
    customers_differ = "min(hash(customer_id)) <> max(hash(customer_id))"
    order_lines = cur.execute("select count(order_id) - count(distinct order_id) from "
                              "(select order_id from import_checked limit 100000)").fetchall()[0][0]
    if order_lines:
        cur.execute(f"""
            create temp table import_repeat_groups as
            select false as by_row, hash(order_id) as group_key, {customers_differ} as may_conflict
            from import_checked where not is_bad and order_id is not null group by 2 having count(*) > 1
            union all {by_rows}""")
        return
    cur.execute("""
        create temp table import_repeated_orders as
        select hash(order_id) as group_key from import_checked
        where not is_bad and order_id is not null group by 1 having count(*) > 1""")
    if not cur.execute("select count(*) from import_repeated_orders").fetchall()[0][0]:
        cur.execute(f"create temp table import_repeat_groups as {by_rows}")
        return
    cur.execute(f"""
        create temp table import_repeat_groups as
        select false as by_row, hash(order_id) as group_key, {customers_differ} as may_conflict
        from import_checked
        where not is_bad and order_id is not null
          and hash(order_id) in (select group_key from import_repeated_orders)
        group by 2
        union all {by_rows}""")


def _check_orders(cur, report: ImportReport) -> None:
    """An order id that belongs to two customers cannot be right: all rows of such orders are errors.

    Candidates come from ``import_repeat_groups``; the exact check reads only their rows.
    """
    cur.execute("""
        create temp table import_order_candidates as
        select group_key as order_hash from import_repeat_groups where may_conflict""")
    if not cur.execute("select count(*) from import_order_candidates").fetchall()[0][0]:
        return
    cur.execute("""
        create temp table import_order_conflicts as
        with candidates as (
            select source_row, order_id, customer_id from import_staged
            where not is_bad and hash(order_id) in (select order_hash from import_order_candidates)
        ),
        conflicting as (
            select order_id, min(customer_id) as first_customer, max(customer_id) as other_customer
            from candidates group by order_id having count(distinct customer_id) > 1
        ),
        final as (select c.source_row, c.order_id, k.first_customer, k.other_customer
                  from candidates c join conflicting k using (order_id))
        select * from final""")
    cur.execute("insert into import_excluded select source_row, 'conflict' from import_order_conflicts")
    rows = cur.execute(f"select source_row, order_id, first_customer, other_customer from import_order_conflicts "
                       f"order by source_row limit {MAX_PROBLEMS_PER_KIND}").fetchall()
    total = cur.execute("select count(*) from import_order_conflicts").fetchall()[0][0]
    column = report.mapping.get("order_id")
    for row, order_id, first, other in rows:
        report.add(Problem("order_id_conflict", ERROR, "import_order_id_conflict",
                           {"order_id": order_id, "first": first, "other": other}, row=int(row), column=column,
                           value=order_id))
    if rows:
        report.counts["order_id_conflict"] += total - len(rows)


def _check_duplicates(cur, report: ImportReport, table: str, fields: list[str], drop: bool) -> int:
    """Report rows identical in every field; drop all but the first only when the user asked.

    Identical transaction rows without an order id are usually separate orders (same
    product, same price, same day), so they are kept by default and only reported.
    For customers, a repeated customer id keeps the last row (exports list updates last).
    Returns the number of rows dropped.
    """
    key = _row_key(table, fields)
    keep_last = table == "customers"
    label = "customer_id" if keep_last else "order_id is null" if table == "transactions" else "false"
    candidate_groups, order_groups = cur.execute(
        "select count(*), count(*) filter (where not by_row) from import_repeat_groups").fetchall()[0]
    if not candidate_groups:
        return 0
    # Rows grouped by order id share an order, not yet every field: their row hashes are grouped again,
    # over those candidates only. Equal rows are then compared exactly.
    order_candidates = (f"""
        union
        select hash({key}) from import_checked
        where not is_bad and order_id is not null
          and hash(order_id) in (select group_key from import_repeat_groups where not by_row)
        group by 1 having count(*) > 1""" if order_groups else "")
    cur.execute(f"""
        create temp table import_repeat_hashes as
        select group_key as row_hash from import_repeat_groups where by_row {order_candidates}""")
    if not cur.execute("select count(*) from import_repeat_hashes").fetchall()[0][0]:
        return 0
    cur.execute(f"""
        create temp table import_repeats as
        with candidates as (
            select * from import_staged
            where not is_bad and hash({key}) in (select row_hash from import_repeat_hashes)
        ),
        ranked as (
            select source_row, {label} as label,
                   dense_rank() over (order by {key}) as group_id,
                   row_number() over (partition by {key} order by source_row {'desc' if keep_last else ''}) as rank_,
                   count(*) over (partition by {key}) as group_size
            from candidates
        ),
        final as (select * from ranked where group_size > 1)
        select * from final""")
    groups = cur.execute("""
        select any_value(label), list(source_row order by source_row), count(*)
        from import_repeats group by group_id order by min(source_row)""").fetchall()
    if table == "customers":
        for customer_id, rows, _ in groups[:MAX_PROBLEMS_PER_KIND]:
            report.add(Problem("repeated_customer", WARNING, "import_repeated_customer",
                               {"customer_id": customer_id, "rows": ", ".join(map(str, rows[:10])), "last": rows[-1]},
                               row=int(rows[0]),
                               column=report.mapping.get("customer_id"), value=customer_id))
        report.counts["repeated_customer"] += len(groups) - min(len(groups), MAX_PROBLEMS_PER_KIND)
        drop = True
    else:
        for no_order_id, rows, n in groups:
            if table == "transactions" and no_order_id:
                kind, severity = "identical_rows_without_order_id", INFO
                code = "import_identical_rows_dropped" if drop else "import_identical_rows_kept"
            else:
                kind, severity = "duplicate_rows", WARNING
                code = "import_duplicate_rows_dropped" if drop else "import_duplicate_rows_kept"
            params = {"n": n, "rows": ", ".join(map(str, rows[:10]))}
            report.add(Problem(kind, severity, code, params, row=int(rows[0])), count=n - 1)
    if not drop:
        return 0
    cur.execute("insert into import_excluded select source_row, 'duplicate' from import_repeats where rank_ > 1")
    return cur.execute("select count(*) from import_repeats where rank_ > 1").fetchall()[0][0]
