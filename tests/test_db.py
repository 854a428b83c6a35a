"""The data layer: schema, dataset registry, versions, atomic writes, deletion."""
import duckdb
import pandas as pd
import pytest

from custlib import datasets, db
from custlib.errors import CustlibError, DatasetNotFound


def _tx(n=3):
    return pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)],
                         "order_date": pd.to_datetime(["2024-01-01"] * n),
                         "amount": [10.0 * (i + 1) for i in range(n)]})


def test_first_dataset_becomes_active_and_version_moves_on_each_store(con):
    datasets.store_frame(con, "shop", "transactions", _tx())
    first = datasets.get_dataset(con)
    assert first.name == "shop" and first.is_active
    datasets.store_frame(con, "shop", "transactions", _tx(5))
    second = datasets.get_dataset(con, "shop")
    assert second.version > first.version
    assert second.cache_key != first.cache_key
    datasets.store_frame(con, "other", "transactions", _tx())
    assert datasets.get_dataset(con).name == "shop"  # a second dataset does not steal "active"


def test_replace_keeps_only_the_new_rows(con):
    datasets.store_frame(con, "shop", "transactions", _tx(5))
    datasets.store_frame(con, "shop", "transactions", _tx(2))
    [info] = datasets.dataset_info(con)
    assert info["transactions"] == 2 and info["total_amount"] == 30.0


def test_failed_write_leaves_database_unchanged(con):
    datasets.store_frame(con, "shop", "transactions", _tx(3))
    before = datasets.dataset_info(con)
    bad = _tx(2).assign(amount=["1", "not a number"])
    with pytest.raises(duckdb.Error):
        datasets.store_frame(con, "shop", "transactions", bad)
    assert datasets.dataset_info(con) == before


def test_switch_rename_delete(con):
    datasets.store_frame(con, "a", "transactions", _tx())
    datasets.store_frame(con, "b", "transactions", _tx())
    datasets.set_active(con, "b")
    assert datasets.get_dataset(con).name == "b"
    datasets.rename_dataset(con, "b", "bee")
    with pytest.raises(CustlibError, match="already exists"):
        datasets.rename_dataset(con, "a", "bee")
    datasets.delete_dataset(con, "bee")
    assert [d.name for d in datasets.list_datasets(con)] == ["a"]
    assert datasets.get_dataset(con).name == "a"  # the remaining dataset becomes active
    with pytest.raises(DatasetNotFound, match="no dataset named 'bee'"):
        datasets.get_dataset(con, "bee")
    assert db.query_df(con, "select count(*) n from transactions where dataset_id <> 1")["n"][0] == 0


def test_empty_database_says_what_to_do(con):
    with pytest.raises(DatasetNotFound, match="load the demo dataset or import a file"):
        datasets.get_dataset(con)


def test_second_process_gets_one_clear_sentence(db_path, tmp_path):
    import subprocess
    import sys
    holder = db.connect(db_path)
    code = ("from custlib import db\n"
            "from custlib.errors import DatabaseBusy\n"
            f"try:\n    db.connect({str(db_path)!r})\nexcept DatabaseBusy as e:\n    print('BUSY:', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=db.SQL_DIR.parents[1])
    holder.close()
    assert out.stdout.startswith("BUSY: The database"), out.stderr
    assert "stop the app" in out.stdout


def test_columns_of_earlier_versions_are_dropped_and_rows_kept(tmp_path):
    """Databases made when imports marked failed rows in the user's tables lose those columns when opened."""
    path = tmp_path / "old.duckdb"
    con = db.connect(path)
    con.execute("alter table transactions add column import_flags bigint")
    con.execute("alter table transactions add column import_values varchar[]")
    con.execute("insert into transactions (dataset_id, import_id, source_row, customer_id, order_date, amount) "
                "values (1, 1, 2, 'c1', date '2024-01-01', 5)")
    con.close()
    con = db.connect(path)
    columns = set(con.execute("select column_name from duckdb_columns() where table_name = 'transactions'")
                  .fetchdf()["column_name"])
    assert not {"import_flags", "import_values"} & columns
    assert con.execute("select customer_id, amount from transactions").fetchall() == [("c1", 5.0)]
    con.close()
