"""The command line: `python -m custlib COMMAND --help`.

Every command prints a clear message and exits non-zero on failure; no stack traces.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from . import db
from .errors import CustlibError, ImportRejected, NeedsDecision


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=None,
                        help=f"database file (default: $CUSTLIB_DB or {db.DEFAULT_DB_PATH})")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m custlib", description="Customer Value Studio command line.")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="build the seeded demo dataset")
    _add_db(demo)
    demo.add_argument("--customers", type=int, default=20_000, help="number of customers (1,000 .. 1,000,000)")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--dataset", default="demo", help="dataset name (default: demo)")

    imp = commands.add_parser("import", help="import a CSV/TSV/text, .xlsx or Parquet file")
    imp.add_argument("file", type=Path)
    _add_db(imp)
    imp.add_argument("--dataset", help="dataset to import into (default: the file name for transactions, "
                                       "the active dataset for customers and interactions)")
    imp.add_argument("--table", choices=list(db.TABLE_COLUMNS), default="transactions")
    imp.add_argument("--map", dest="mapping", help="field=column pairs, e.g. customer_id=ID,order_date=date; "
                                                    "with --no-header, columns by position: customer_id=1")
    imp.add_argument("--no-header", action="store_true", help="the file has no header row")
    imp.add_argument("--header", action="store_true", help="the first row is a header (default: detected)")
    imp.add_argument("--strict", action="store_true", help="reject the whole file on any bad row")
    imp.add_argument("--date-order", choices=["day-first", "month-first"],
                     help="how to read dates like 03/04/2024 when the file cannot tell")
    imp.add_argument("--drop-duplicates", action="store_true",
                     help="keep one of each group of rows identical in every column")
    imp.add_argument("--append", action="store_true", help="add to the table instead of replacing it")
    imp.add_argument("--sheet", help="Excel sheet name (default: the first sheet with data)")
    imp.add_argument("--json", action="store_true", help="print the report as JSON")

    info = commands.add_parser("info", help="list datasets with their counts and dates")
    _add_db(info)
    info.add_argument("--json", action="store_true")
    return parser


def cmd_demo(args) -> int:
    from .demo import load_demo

    if not 1_000 <= args.customers <= 1_000_000:
        raise CustlibError("--customers must be between 1,000 and 1,000,000.")
    started = time.perf_counter()
    con = db.connect(args.db)
    try:
        data = load_demo(con, dataset_name=args.dataset, n_customers=args.customers, seed=args.seed)
    finally:
        con.close()
    print(f"Built dataset {args.dataset!r}: {len(data.customers):,} customers, {len(data.transactions):,} "
          f"transactions, {len(data.interactions):,} interactions in {time.perf_counter() - started:.1f} s "
          f"({args.db or db.default_db_path()}).")
    return 0


def cmd_import(args) -> int:
    from .columns import parse_map_option
    from .io import import_file

    mapping = parse_map_option(args.mapping)
    has_header = False if args.no_header else (True if args.header else None)
    if args.no_header:
        mapping = {field: int(col) if col.isdigit() else col for field, col in mapping.items()}
    con = db.connect(args.db)
    try:
        report = import_file(con, args.file, dataset=args.dataset, table=args.table, mapping=mapping,
                             has_header=has_header, strict=args.strict, date_order=args.date_order,
                             drop_duplicates=args.drop_duplicates, append=args.append, sheet=args.sheet)
    except ImportRejected as exc:
        if exc.report is not None:
            print(json.dumps(exc.report.to_dict(), ensure_ascii=False, default=str, indent=2) if args.json
                  else exc.report.to_text(), file=sys.stderr)
        else:
            print(f"Error: {exc}", file=sys.stderr)
        return 1
    finally:
        con.close()
    print(json.dumps(report.to_dict(), ensure_ascii=False, default=str, indent=2) if args.json
          else report.to_text())
    return 0


def cmd_info(args) -> int:
    con = db.connect(args.db, read_only=True)
    try:
        datasets = db.dataset_info(con)
    finally:
        con.close()
    if args.json:
        print(json.dumps(datasets, ensure_ascii=False, indent=2))
        return 0
    if not datasets:
        print("No datasets yet: run `python -m custlib demo` or import a file.")
        return 0
    for d in datasets:
        active = " (active)" if d["is_active"] else ""
        print(f"{d['name']}{active}: version {d['version']}, {d['customers']:,} customers, "
              f"{d['transactions']:,} transactions, {d['first_order_date']} .. {d['last_order_date']}, "
              f"total amount {d['total_amount']:,.2f}; {d['customer_records']:,} customer records, "
              f"{d['interactions']:,} interactions")
    return 0


COMMANDS = {"demo": cmd_demo, "import": cmd_import, "info": cmd_info}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except NeedsDecision as exc:
        print(f"Needs a decision: {exc}", file=sys.stderr)
        return 1
    except CustlibError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # the last line of defence: a message, never a stack trace
        if os.environ.get("CUSTLIB_DEBUG"):
            raise
        print(f"Unexpected error ({type(exc).__name__}): {exc}. Nothing was changed by the failed step; "
              f"set CUSTLIB_DEBUG=1 to see details and please report it.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted; the database is unchanged by the interrupted command.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
