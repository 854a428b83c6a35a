"""The SQL layers hold (issue 15): stg_ views read the stored tables, int_ views read stg_/int_, marts read only
stg_/int_; no two files share six lines; every file transpiles to Spark SQL; views are made when a database
opens and re-made when their definitions change."""
import re
from pathlib import Path

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from custlib import datasets, db

SQL = Path(db.SQL_DIR)
FILES = sorted(SQL.rglob("*.sql"))
STORED_TABLES = set(db.TABLE_COLUMNS) | {"datasets"}
SHARED_LINES = 6


def _parse(path: Path) -> exp.Expression:
    return sqlglot.parse_one(path.read_text(encoding="utf-8"), read="duckdb")


def _reads(path: Path) -> set[str]:
    """The tables and views a query reads (its own CTEs and table functions left out)."""
    tree = _parse(path)
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    return {table.name for table in tree.find_all(exp.Table) if table.name and table.name not in ctes}


def test_every_file_sits_in_the_folder_of_its_layer():
    assert FILES, "no SQL files found"
    for path in FILES:
        layer = path.parent.name
        assert layer in db.SQL_LAYERS and path.stem.startswith(layer + "_"), path.relative_to(SQL)
    assert {p.parent.name for p in FILES} == set(db.SQL_LAYERS)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_layer_reads_only_the_layers_below(path):
    reads = _reads(path)
    layer = path.parent.name
    if layer == "stg":
        assert reads and reads <= STORED_TABLES, reads
    else:
        below = {name for name in reads if name.split("_")[0] in ("stg", "int")}
        assert reads == below, f"{path.name} reads {sorted(reads - below)} directly"
        assert reads or layer == "int", f"{path.name} reads nothing"  # an int_ view may be constants


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_file_opens_with_its_contract(path):
    header = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines()
                       if line.startswith("--")).lower()
    assert "grain" in header and "column" in header, f"{path.name}: say its grain and its columns in the header"
    if path.parent.name in db.VIEW_LAYERS:
        assert "$" not in re.sub(r"--.*", "", path.read_text(encoding="utf-8")), "a view takes no parameters"


# Lines that carry no rule of their own: the skeleton every file shares (CTE heads, closing brackets, a bare
# select, a plain column in a list). Six lines of anything else in two files are a rule written twice.
SKELETON = re.compile(r"(\)|\),|select|select \*|select \* from \w+|from \w+( as \w+)?|(with )?\w+ as \(|"
                      r"[\w.]+,?|select \* from final( order by .*)?)")


def _code_lines(path: Path) -> list[str]:
    lines = (re.sub(r"\s+", " ", line.split("--", 1)[0]).strip().lower()
             for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not SKELETON.fullmatch(line)]


def test_no_two_files_share_six_lines():
    seen: dict[tuple[str, ...], str] = {}
    shared = set()
    for path in FILES:
        lines = _code_lines(path)
        for i in range(len(lines) - SHARED_LINES + 1):
            window = tuple(lines[i:i + SHARED_LINES])
            owner = seen.setdefault(window, path.stem)
            if owner != path.stem:
                shared.add((owner, path.stem, window))
    assert not shared, "\n\n".join(f"{a} and {b} share:\n" + "\n".join(w) for a, b, w in sorted(shared))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_file_transpiles_to_spark_and_back(path):
    """The same files are to run on a distributed engine: SQLGlot (pinned) writes each as Spark SQL and as
    DuckDB SQL without an unsupported construct, and both read back."""
    tree = _parse(path)
    for dialect in ("spark", "duckdb"):
        text = tree.sql(dialect=dialect, unsupported_level=sqlglot.ErrorLevel.RAISE)
        assert sqlglot.parse_one(text, read=dialect) is not None


def _views(con) -> set[str]:
    return {row[0] for row in con.execute("select view_name from duckdb_views() where not internal").fetchall()}


def test_views_are_made_when_a_database_opens(tmp_path):
    con = db.connect(tmp_path / "studio.duckdb")
    assert _views(con) == set(db.view_names())
    assert con.execute("select value from meta where key = 'views_version'").fetchone()[0] == db.views_version()
    order = db.view_names()
    for name in order:  # each view comes after every view it reads
        assert all(order.index(read) < order.index(name) for read in _reads(SQL / name.split("_")[0] / f"{name}.sql")
                   if read in order)
    con.close()


def _age(path):
    """Make the file look as if an older version had written its views: one view out of date, another gone."""
    raw = duckdb.connect(str(path))
    raw.execute("create or replace view int_order_lines as select * from stg_transactions where false")
    raw.execute("drop view int_survey_answers")
    raw.execute("update meta set value = 'older' where key = 'views_version'")
    raw.close()


@pytest.mark.parametrize("read_only", [False, True], ids=["writer", "reader"])
def test_an_upgrade_remakes_the_views(tmp_path, read_only):
    path = tmp_path / "studio.duckdb"
    con = db.connect(path)
    with db.write_transaction(con) as cur:
        dataset_id = datasets.ensure_dataset(cur, "shop")
        cur.execute("insert into transactions (dataset_id, import_id, source_row, customer_id, order_date, amount) "
                    "values (?, 1, 1, 'A', date '2024-01-02', 10)", [dataset_id])
    con.close()
    _age(path)
    con = db.connect(path, read_only=read_only)
    assert _views(con) == set(db.view_names())
    assert db.last_order_date(con, dataset_id).isoformat() == "2024-01-02"
    assert db.query(con, "mart_clv_summary", dataset_id=dataset_id, as_of="2024-01-31", unit_days=1.0)[
        "customer_id"].tolist() == ["A"]
    con.close()


def test_one_region_and_one_owner_rule_everywhere(tmp_path):
    """The rules that had drifted apart (region: most frequent line in features and filters, latest line in
    capacity; only capacity trimmed a blank account manager) are one rule now, so every page agrees."""
    import pandas as pd

    from custlib import capacity, datasets, features, filters

    con = db.connect(tmp_path / "studio.duckdb")
    lines = pd.DataFrame({
        "customer_id": ["A", "A", "A", "A", "B", "B", "C"],
        "order_date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-02-01", "2024-03-01", "2024-01-05",
                                      "2024-01-06", "2024-02-02"]),
        "amount": [1.0, 10, 20, 30, 5, 6, 7],
        "region": [None, "East", "West", "West", None, "North", None],
    })
    datasets.store_frame(con, "shop", "transactions", lines)
    datasets.store_frame(con, "shop", "customers", pd.DataFrame({
        "customer_id": ["B", "C"], "region": [None, "South"], "account_manager": ["Kim", "  "]}))
    dataset_id = datasets.get_dataset(con, "shop").dataset_id
    as_of = "2024-03-31"
    from_features = features.customer_features(con, dataset_id, as_of).set_index("customer_id")
    from_filters = filters.customer_attributes(con, dataset_id, as_of).set_index("customer_id")
    from_capacity = capacity.customer_owners(con, dataset_id).set_index("customer_id")
    # A has no record: its earliest line names East (the most frequent is West, the latest West)
    expected = {"A": "East", "B": "North", "C": "South"}
    assert from_features["region"].to_dict() == expected
    assert from_filters["region"].to_dict() == expected
    assert from_capacity["region"].reindex(["B", "C"]).to_dict() == {"B": "North", "C": "South"}
    # a blank manager is no manager, on every page
    assert pd.isna(from_features.loc["C", "account_manager"]) and pd.isna(from_filters.loc["C", "account_manager"])
    assert pd.isna(from_capacity.loc["C", "account_manager"])
    # on the day of its first line, which names no region, nobody knows A's region yet
    first_day = features.customer_features(con, dataset_id, "2024-01-01").set_index("customer_id")
    assert list(first_day.index) == ["A"] and pd.isna(first_day.loc["A", "region"])
    con.close()
