"""The command line: `python -m custlib COMMAND --help` (custlib/__main__.py runs :func:`main`).

Every command prints a clear message and exits non-zero on failure; no stack traces.
While the app holds the database, the read commands (READ_COMMANDS) are answered by the app
itself (custlib.relay), with the same output; commands that write still need the app stopped.

Longer than the ~400 lines a module aims for: one parser and one short function per command, which a
reader wants side by side; the work itself lives in the modules each command calls.
"""
from __future__ import annotations

import argparse
import contextlib
import contextvars
import getpass
import io
import json
import os
import sys
import time
from pathlib import Path

from . import audit, datasets, db
from .errors import CustlibError, DatabaseBusy, ImportRejected, NeedsDecision

# What the command line does is audited as done by whoever runs it; it opens the database file directly,
# so no app role applies (the audit log's role stays empty).
CLI_ACTOR = audit.Actor.this_process(via="cli")

# The commands that only read: the running app answers these for another process (custlib.relay).
READ_COMMANDS = frozenset({"info", "kpis", "fit-clv", "audit"})

# Set only while the running app answers a command for another process: the connection it lends and
# where the command's output goes. Context variables, so that requests answered at the same time in the
# app's threads never see each other's, and the app's own sys.stdout is never swapped.
_LENT_CONNECTION: contextvars.ContextVar = contextvars.ContextVar("custlib_lent_connection", default=None)
_OUTPUT: contextvars.ContextVar = contextvars.ContextVar("custlib_output", default=None)


def _say(*parts, err: bool = False, end: str = "\n") -> None:
    """print() to this command's stdout (or stderr): the relay's buffers when the app answers it."""
    streams = _OUTPUT.get()
    out, error = streams if streams is not None else (sys.stdout, sys.stderr)
    print(*parts, end=end, file=error if err else out)


@contextlib.contextmanager
def _reading(args):
    """The connection a read command reads through: the one the running app lent, or the file opened
    read-only (and closed afterwards). The app closes what it lends."""
    lent = _LENT_CONNECTION.get()
    if lent is not None:
        yield lent
        return
    con = db.connect(args.db, read_only=True)
    try:
        yield con
    finally:
        con.close()


class _Parser(argparse.ArgumentParser):
    # Help and usage errors go where the command's other output goes (back to the asking process, when
    # the app answers it), never to the app's own terminal.
    def _print_message(self, message, file=None):
        if message:
            _say(message, end="", err=file is not sys.stdout)


def _open_for_writing(args):
    """The database opened for writing; what an import killed mid-way left beside it is removed first."""
    from .io import sweep_leftovers

    con = db.connect(args.db)
    sweep_leftovers(con)
    return con


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=None,
                        help=f"database file (default: $CUSTLIB_DB or {db.DEFAULT_DB_PATH})")


def _add_lang(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", choices=["en", "zh"], default="en",
                        help="language of findings and reasons: en (default) or zh (简体中文)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m custlib", description="Customer Value Studio command line.")
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
    _add_lang(imp)

    kpis = commands.add_parser("kpis", help="every KPI for a period and the period before")
    _add_db(kpis)
    kpis.add_argument("--dataset", help="dataset name (default: the active dataset)")
    kpis.add_argument("--period", required=True, help="a month (2024-07), a quarter (2024-Q3) or a year (2024)")
    kpis.add_argument("--horizon", type=int, default=12, help="CLV horizon in months (default 12)")
    kpis.add_argument("--margin", type=float, default=0.30, help="gross margin as a fraction (default 0.30)")
    kpis.add_argument("--discount-rate", type=float, default=0.10, help="annual discount rate (default 0.10)")
    kpis.add_argument("--json", action="store_true")

    fit = commands.add_parser("fit-clv", help="fit the CLV models on data up to a date and print parameters")
    _add_db(fit)
    fit.add_argument("--dataset", help="dataset name (default: the active dataset)")
    fit.add_argument("--as-of", help="use rows up to this date (default: the last order date)")
    fit.add_argument("--unit", choices=["day", "week", "month"], default="week")
    fit.add_argument("--model", choices=["auto", "bgnbd", "pareto_nbd", "mbgnbd"], default="auto")
    fit.add_argument("--json", action="store_true")

    score = commands.add_parser("score", help="score every customer as of a date and write the table")
    _add_db(score)
    score.add_argument("--dataset", help="dataset name (default: the active dataset)")
    score.add_argument("--as-of", help="use rows up to this date (default: the last order date)")
    score.add_argument("--horizon", type=float, help="horizon in --unit units for expected purchases and CLV "
                                                     "(default: 12 months)")
    score.add_argument("--unit", choices=["day", "week", "month"], default="week")
    score.add_argument("--model", choices=["auto", "bgnbd", "pareto_nbd", "mbgnbd"], default="auto")
    score.add_argument("--margin", type=float, default=0.30, help="gross margin as a fraction (default 0.30)")
    score.add_argument("--discount-rate", type=float, default=0.10, help="annual discount rate (default 0.10)")
    score.add_argument("--churn-horizon", type=int, help="days without a purchase that count as churn "
                                                          "(default: from the typical gap between orders)")
    score.add_argument("--out", type=Path, required=True, help="FILE.csv or FILE.parquet")
    _add_lang(score)

    info = commands.add_parser("info", help="list datasets with their counts and dates")
    _add_db(info)
    info.add_argument("--json", action="store_true")

    audit_log = commands.add_parser("audit", help="the audit log: imports, deletions, exports and sign-ins, "
                                                  "newest first")
    _add_db(audit_log)
    audit_log.add_argument("--limit", type=int, default=50, help="how many entries (default 50)")
    audit_log.add_argument("--json", action="store_true")
    audit_log.add_argument("--verify", action="store_true",
                           help="check the chain of hashes over the whole log (exit 1 if an entry was edited or "
                                "deleted) and print the newest entry's hash to note down")
    audit_log.add_argument("--head", help="with --verify: a hash noted earlier, which must still be in the log")

    check = commands.add_parser("check-access", help="refuse to serve without sign-in on an address other "
                                                    "machines reach (make run calls it before starting)")
    check.add_argument("--address", required=True, help="the address the server will listen on")
    check.add_argument("--secrets", default=".streamlit/secrets.toml",
                       help="the secrets file whose [access] section configures sign-in")

    commands.add_parser("hash-password", help="make a password hash for the [access] users of secrets.toml "
                                              "(reads one line from stdin, or asks twice on a terminal)")
    return parser


def cmd_demo(args) -> int:
    from .demo import load_demo

    if not 1_000 <= args.customers <= 1_000_000:
        raise CustlibError("--customers must be between 1,000 and 1,000,000.")
    started = time.perf_counter()
    con = _open_for_writing(args)
    try:
        data = load_demo(con, dataset_name=args.dataset, n_customers=args.customers, seed=args.seed,
                         actor=CLI_ACTOR)
    finally:
        con.close()
    _say(f"Built dataset {args.dataset!r}: {len(data.customers):,} customers, {len(data.transactions):,} "
         f"transactions, {len(data.interactions):,} interactions in {time.perf_counter() - started:.1f} s "
         f"({args.db or db.default_db_path()}).")
    return 0


def cmd_import(args) -> int:
    from .columns import parse_map_option
    from .io import import_file

    mapping = parse_map_option(args.mapping)
    has_header = False if args.no_header else (True if args.header else None)
    if args.no_header:
        mapping = {field: int(col) if col.isascii() and col.isdigit() else col for field, col in mapping.items()}
    con = _open_for_writing(args)
    try:
        report = import_file(con, args.file, dataset=args.dataset, table=args.table, mapping=mapping,
                             has_header=has_header, strict=args.strict, date_order=args.date_order,
                             drop_duplicates=args.drop_duplicates, append=args.append, sheet=args.sheet,
                             actor=CLI_ACTOR)
    except ImportRejected as exc:
        if exc.report is not None:
            _say(json.dumps(exc.report.to_dict(args.lang), ensure_ascii=False, default=str, indent=2) if args.json
                 else exc.report.to_text(args.lang), err=True)
        else:
            _say(f"Error: {exc.text(args.lang)}", err=True)
        return 1
    finally:
        con.close()
    _say(json.dumps(report.to_dict(args.lang), ensure_ascii=False, default=str, indent=2) if args.json
         else report.to_text(args.lang))
    return 0


def cmd_info(args) -> int:
    with _reading(args) as con:
        summaries = datasets.dataset_info(con)
    if args.json:
        _say(json.dumps(summaries, ensure_ascii=False, indent=2))
        return 0
    if not summaries:
        _say("No datasets yet: run `python -m custlib demo` or import a file.")
        return 0
    for d in summaries:
        active = " (active)" if d["is_active"] else ""
        _say(f"{d['name']}{active}: version {d['version']}, {d['customers']:,} customers, "
             f"{d['transactions']:,} transactions, {d['first_order_date']} .. {d['last_order_date']}, "
             f"total amount {d['total_amount']:,.2f}; {d['customer_records']:,} customer records, "
             f"{d['interactions']:,} interactions")
    return 0


KPI_LABELS = [
    ("revenue_amount", "Revenue", "money"), ("orders", "Orders", "count"),
    ("average_order_value", "Average order value", "money"), ("active_customers", "Active customers", "count"),
    ("new_customers", "New customers", "count"), ("returning_customers", "Returning customers", "count"),
    ("retention_rate", "Retention rate (vs previous period's active)", "share"),
    ("churn_rate", "Churn rate", "share"), ("repeat_purchase_rate", "Repeat-purchase rate (to date)", "share"),
    ("nps", "NPS (latest answer per customer in the period)", "points"),
    ("satisfaction_mean", "Satisfaction (1-5)", "score"), ("customer_equity", "Customer equity (sum of CLV)", "money"),
    ("average_clv", "Average CLV", "money"), ("revenue_at_risk", "Revenue at risk", "money"),
]


def _format_kpi(value, kind: str) -> str:
    if value is None:
        return "n/a"
    if kind == "share":
        return f"{value:.1%}"
    if kind == "count":
        return f"{value:,.0f}"
    if kind in ("points", "score"):
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def cmd_kpis(args) -> int:
    from .kpis import parse_period, period_kpis
    from .valuation import ValueSettings

    period = parse_period(args.period)
    settings = ValueSettings(horizon_months=args.horizon, margin=args.margin,
                             annual_discount_rate=args.discount_rate)
    with _reading(args) as con:
        dataset = datasets.get_dataset(con, args.dataset)
        result = period_kpis(con, dataset.dataset_id, period, settings)
    result["dataset"] = dataset.name
    if args.json:
        _say(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    current, before = result["current"], result["before"]
    _say(f"Dataset {dataset.name!r}: {result['period']['label']} ({result['period']['start']} .. "
         f"{result['period']['end']}) vs {result['previous']['label']}")
    for key, label, kind in KPI_LABELS:
        now, then = current.get(key), before.get(key)
        change = ""
        if now is not None and then not in (None, 0) and kind in ("money", "count"):
            change = f"  ({(now - then) / abs(then):+.1%})"
        elif now is not None and then is not None and kind == "share":
            change = f"  ({(now - then) * 100:+.1f} pts)"
        _say(f"  {label:<48} {_format_kpi(now, kind):>18}  vs {_format_kpi(then, kind):>18}{change}")
    if current.get("value_model"):
        _say(f"  CLV model: {current['value_model']}")
    for note in {current.get("value_note"), before.get("value_note")} - {None}:
        _say(f"  Note: {note}")
    return 0


def _as_of_or_last(con, dataset, as_of: str | None):
    import pandas as pd

    if as_of:
        try:
            return pd.Timestamp(as_of).date()
        except ValueError:
            raise CustlibError(code="error_as_of_not_a_date", params={"text": as_of}) from None
    last = db.last_order_date(con, dataset.dataset_id)
    if last is None:
        raise CustlibError(code="error_no_transactions", params={"name": dataset.name})
    return last


def cmd_fit_clv(args) -> int:
    from .valuation import fit_report

    with _reading(args) as con:
        dataset = datasets.get_dataset(con, args.dataset)
        as_of = _as_of_or_last(con, dataset, args.as_of)
        report = fit_report(con, dataset.dataset_id, as_of, unit=args.unit, model=args.model)
    report["dataset"] = dataset.name
    if args.json:
        _say(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    _say(f"Dataset {dataset.name!r}, data up to {report['as_of']}, unit {args.unit}: "
         f"{report['customers']:,} customers")
    for key, label in (("bgnbd", "BG/NBD"), ("mbgnbd", "MBG/NBD"), ("pareto_nbd", "Pareto/NBD"),
                       ("gamma_gamma", "Gamma-Gamma")):
        values = report.get(key, {})
        if "error" in values:
            _say(f"  {label:<12} could not be fitted: {values['error']}")
            continue
        shown = ", ".join(f"{k} = {v:.4g}" for k, v in values.items() if not k.endswith("_se") and k != "customers")
        _say(f"  {label:<12} {shown}")
    _say(f"  Selected: {report['selected']} ({report['selection']})")
    _say(f"  {report['data_sufficiency']['verdict']}")
    holdout = report["holdout"]
    if holdout["available"]:
        _say(f"  After {holdout['start']} to {holdout['end']}: {holdout['actual_repeat_purchases']:,.0f} actual "
             f"repeat purchases; predicted " + ", ".join(
                 f"{k} {v['predicted_repeat_purchases']:,.0f}" for k, v in holdout["models"].items()))
    return 0


def cmd_score(args) -> int:
    from .customers import ScoreSettings, customer_table
    from .scores import store_scores, write_scores

    if args.out.suffix.lower() not in (".csv", ".parquet"):
        raise CustlibError(f"--out must end in .csv or .parquet, not {args.out.name!r}.")
    settings = ScoreSettings(horizon=args.horizon, unit=args.unit, model=args.model, margin=args.margin,
                             annual_discount_rate=args.discount_rate, churn_horizon_days=args.churn_horizon)
    con = _open_for_writing(args)
    try:
        dataset = datasets.get_dataset(con, args.dataset)
        as_of = _as_of_or_last(con, dataset, args.as_of)
        started = time.perf_counter()
        result = customer_table(con, dataset.dataset_id, as_of, settings)
        store_scores(con, dataset.dataset_id, result)
        write_scores(result, args.out, args.lang)
        audit.log_export(con, CLI_ACTOR, "customer scores", str(args.out), len(result.table), dataset)
    finally:
        con.close()
    table = result.table
    _say(f"Scored {len(table):,} customers of {dataset.name!r} as of {as_of} in "
         f"{time.perf_counter() - started:.1f} s; wrote {args.out} and stored the scores in the database.")
    _say(f"  Model: {result.value.model_label}; horizon {settings.horizon_units:g} {settings.unit}s "
         f"({settings.horizon_months} months), margin {settings.margin:.0%}, discount {settings.annual_discount_rate:.0%}.")
    interval = (f" (90% interval {result.equity_lower:,.2f} .. {result.equity_upper:,.2f})"
                if result.equity_lower is not None else "")
    _say(f"  Customer equity: {result.equity:,.2f}{interval}; value at risk: "
         f"{table['value_at_risk'].sum():,.2f}.")
    if result.churn_report is not None:
        _say(f"  Churn: {result.churn_report.verdict}")
    for note in result.notes:
        _say(f"  Note: {note}")
    return 0


def cmd_audit(args) -> int:
    if args.limit < 1:
        raise CustlibError("--limit must be at least 1.")
    with _reading(args) as con:
        if args.verify:
            return _verify_audit(con, args.head)
        found = audit.entries(con, args.limit)
    if args.json:
        _say(json.dumps([{**entry, "recorded_at": entry["recorded_at"].isoformat(timespec="seconds") + "Z"}
                         for entry in found], ensure_ascii=False, indent=2))
        return 0
    if not found:
        _say("The audit log is empty.")
        return 0
    for entry in found:
        who = f"{entry['user_name']} ({entry['role'] or 'no role'}, {entry['via']})"
        dataset = f"dataset {entry['dataset_name']!r}" if entry["dataset_name"] is not None else "-"
        line = (f"{entry['recorded_at']:%Y-%m-%d %H:%M:%S} UTC  {entry['action']:<13} {who}  {dataset}  "
                f"{audit.describe_detail(entry['detail'])}".rstrip())
        _say(audit.clean_text(line))  # entries from before the log was cleaned may hold control characters
    return 0


def _verify_audit(con, head: str | None) -> int:
    result = audit.verify(con, expected_head=head)
    if result.intact:
        _say(f"The audit log is intact: {result.entries:,} entries, newest hash {result.head}.")
        return 0
    _say(f"The audit log was tampered with ({len(result.problems)} problem(s) in {result.entries:,} entries):",
         err=True)
    for problem in result.problems[:50]:
        _say(f"- {problem}", err=True)
    return 1


def cmd_hash_password(args) -> int:
    from .access import hash_password

    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("The same password again: ") != password:
            raise CustlibError("The two passwords differ; no hash was made.")
    else:  # piped: the first line, without its line ending
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise CustlibError("The password is empty; type one, or pipe it in on one line.")
    _say(hash_password(password))
    return 0


def cmd_check_access(args) -> int:
    from . import access

    config = access.config_from_secrets_file(Path(args.secrets))
    if problem := access.exposure_problem(config, args.address):
        raise CustlibError(problem)
    _say(f"Access: {config.mode} mode, listening on {args.address}.")
    return 0


COMMANDS = {"demo": cmd_demo, "import": cmd_import, "info": cmd_info, "kpis": cmd_kpis, "fit-clv": cmd_fit_clv,
            "score": cmd_score, "audit": cmd_audit, "hash-password": cmd_hash_password,
            "check-access": cmd_check_access}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    if _LENT_CONNECTION.get() is not None and args.command not in READ_COMMANDS:
        _say(f"Error: the running app answers only the commands that read ({', '.join(sorted(READ_COMMANDS))}), "
             f"not `{args.command}`. Make changes through the app's Data page, or stop the app and run the "
             f"command again.", err=True)
        return 1
    try:
        return _run(args, argv)
    except NeedsDecision as exc:
        _say(f"Needs a decision: {exc.text(getattr(args, 'lang', 'en'))}", err=True)
        return 1
    except CustlibError as exc:
        _say(f"Error: {exc.text(getattr(args, 'lang', 'en'))}", err=True)
        return 1
    except Exception as exc:  # the last line of defence: a message, never a stack trace
        if os.environ.get("CUSTLIB_DEBUG"):
            raise
        _say(f"Unexpected error ({type(exc).__name__}): {exc}. Nothing was changed by the failed step; "
             f"set CUSTLIB_DEBUG=1 to see details and please report it.", err=True)
        return 1
    except KeyboardInterrupt:
        _say("Interrupted; the database is unchanged by the interrupted command.", err=True)
        return 130


def _run(args, argv: list[str]) -> int:
    try:
        return COMMANDS[args.command](args)
    except DatabaseBusy:
        answered = _read_through_the_app(args, argv)
        if answered is None:
            raise
        return answered


def _read_through_the_app(args, argv: list[str]) -> int | None:
    """Ask the app that holds the database to run this read command (custlib.relay) and print its answer
    as the command would have; its exit code, or None when the command writes or no app answers."""
    if args.command not in READ_COMMANDS or _LENT_CONNECTION.get() is not None:
        return None
    from . import relay

    answer = relay.ask(args.db or db.default_db_path(), argv)
    if answer is None:
        return None
    exit_code, out, err = answer
    _say(out, end="")
    _say(err, end="", err=True)
    return exit_code


def run_for_the_app(con, argv: list[str]) -> tuple[int, str, str]:
    """Run a command on a connection the running app lends (custlib.relay): (exit code, stdout, stderr).

    Only READ_COMMANDS run; ``--db`` is ignored, since the connection is the app's own database.
    """
    out, err = io.StringIO(), io.StringIO()
    lent, output = _LENT_CONNECTION.set(con), _OUTPUT.set((out, err))
    try:
        exit_code = main(argv)
    except SystemExit as exc:  # argparse: --help, or arguments it refuses (its message is in err)
        exit_code = exc.code if isinstance(exc.code, int) else 1
    finally:
        _LENT_CONNECTION.reset(lent)
        _OUTPUT.reset(output)
    return exit_code, out.getvalue(), err.getvalue()

