"""Reliability of the data layer: limits, hostile names, a killed import, readers during an import."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from custlib import datasets, db
from custlib import io as custio
from custlib.errors import ImportRejected
from custlib.io import import_file

REPO = Path(__file__).resolve().parents[1]


def _small_csv(path: Path, rows: int = 3) -> Path:
    lines = ["customer_id,order_date,amount"] + [f"c{i},2024-01-{1 + i % 28:02d},{10 + i}" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_limits_are_configurable_and_named(con, tmp_path, monkeypatch):
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"col{i}" for i in range(10_000)) + "\n" + ",".join("1" for _ in range(10_000)) + "\n")
    with pytest.raises(ImportRejected, match="10,000 columns, over the limit of 500"):
        import_file(con, wide, dataset="x")
    monkeypatch.setenv("CUSTLIB_MAX_ROWS", "2")
    with pytest.raises(ImportRejected, match="more than 2 rows, the limit .CUSTLIB_MAX_ROWS.; reading stopped there"):
        import_file(con, _small_csv(tmp_path / "three.csv"), dataset="x")
    monkeypatch.setenv("CUSTLIB_MAX_UPLOAD_MB", "1")
    big = tmp_path / "big.csv"
    big.write_bytes(b"customer_id,order_date,amount\n" + b"c1,2024-01-01,1\n" * 80_000)
    with pytest.raises(ImportRejected, match="over the limit of 1 MB"):
        import_file(con, big, dataset="x")
    assert datasets.list_datasets(con) == []


HOSTILE = '"; DROP TABLE transactions; --'


def test_hostile_column_names_are_only_ever_data(con, tmp_path):
    path = tmp_path / "hostile.csv"
    path.write_text(f'"{HOSTILE.replace(chr(34), chr(34) * 2)}",when,"amount\'); drop table datasets; --"\n'
                    "c1,2024-01-01,5\n")
    with pytest.raises(ImportRejected) as caught:
        import_file(con, path, dataset="h")
    assert HOSTILE in str(caught.value)  # the message quotes the name; nothing ran it
    report = import_file(con, path, dataset="h", mapping={"customer_id": HOSTILE, "order_date": "when", "amount": 3})
    assert report.rows_loaded == 1
    parquet = tmp_path / "hostile.parquet"
    pd.DataFrame({HOSTILE: ["c9"], "order date": ["2024-02-02"], "x\"y": [7.5]}).to_parquet(parquet)
    import_file(con, parquet, dataset="h2", mapping={"customer_id": HOSTILE, "order_date": 2, "amount": 3})
    tables = set(db.query_df(con, "select table_name from information_schema.tables")["table_name"])
    assert {"transactions", "datasets", "customers", "interactions", "imports"} <= tables
    assert datasets.get_dataset(con, "h2") and datasets.get_dataset(con, "h")


def test_formula_cells_are_stored_as_plain_text(con, tmp_path):
    path = tmp_path / "formula.csv"
    path.write_text('customer_id,name\nc1,"=HYPERLINK(""http://evil.example"",""click"")"\nc2,+cmd|calc\n')
    tx = _small_csv(tmp_path / "tx.csv")
    import_file(con, tx, dataset="f")
    import_file(con, path, table="customers")
    names = db.query_df(con, "select name from customers order by customer_id")["name"].tolist()
    assert names == ['=HYPERLINK("http://evil.example","click")', "+cmd|calc"]


KILLED_IMPORT = """
import sys
import tempfile
from custlib import db
from custlib import io as custio
from custlib.io import import_file
con = db.connect(sys.argv[1])
print("started", flush=True)
import_file(con, sys.argv[2], dataset="shop")
print("finished", flush=True)
"""


@pytest.mark.slow
def test_killed_import_leaves_the_previous_dataset_intact(db_path, tmp_path):
    con = db.connect(db_path)
    import_file(con, _small_csv(tmp_path / "first.csv", rows=5), dataset="shop")
    before = datasets.dataset_info(con)
    con.close()
    big = tmp_path / "big.csv"
    with big.open("w") as handle:  # ~3M rows: long enough to be killed mid-way
        handle.write("customer_id,order_id,order_date,amount\n")
        block = "".join(f"c{i % 50000},o{i},2024-03-{1 + i % 28:02d},{i % 500}.25\n" for i in range(100_000))
        for _ in range(30):
            handle.write(block)
    process = subprocess.Popen([sys.executable, "-c", KILLED_IMPORT, str(db_path), str(big)], cwd=REPO,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "started"
    time.sleep(1.5)
    assert process.poll() is None, "the import finished before it could be killed: make the file bigger"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)
    # Issue 14, row 16: the killed import had kept its copy of the file (names, phones), which no import
    # records; and its process's temporary folders are left. Opening the database for writing sweeps both.
    uploads = db.uploads_folder(db_path)
    kept_before = {p.name for p in uploads.iterdir()}
    assert any(name.endswith("big.csv") for name in kept_before), kept_before
    left_by_killed = Path(tempfile.mkdtemp(prefix=f"{custio.TEMP_PREFIX}{process.pid}-text-"))
    (left_by_killed / "utf8.txt").write_text("c1,2024-01-01,5\n")
    ours = Path(tempfile.mkdtemp(prefix=f"{custio.TEMP_PREFIX}{os.getpid()}-text-"))  # a live process's
    # The command line opens it for writing (as the app does when it starts): an import of another file.
    done = subprocess.run([sys.executable, "-m", "custlib", "import", str(_small_csv(tmp_path / "other.csv")),
                           "--db", str(db_path), "--dataset", "other"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    reopened = db.connect(db_path)
    try:
        assert [d for d in datasets.dataset_info(reopened) if d["name"] != "other"] == before
        recorded = set(db.query_df(reopened, "select stored_path from imports")["stored_path"])
        assert {str(p) for p in uploads.iterdir()} == recorded  # the first import's copy only
        assert not left_by_killed.exists() and ours.exists()
    finally:
        reopened.close()
        shutil.rmtree(ours)


def test_readers_see_old_or_new_never_a_mix(con, tmp_path):
    old = _small_csv(tmp_path / "old.csv", rows=100)
    new = _small_csv(tmp_path / "new.csv", rows=3000)
    import_file(con, old, dataset="shop")
    dataset_id = datasets.get_dataset(con, "shop").dataset_id
    snapshot_sql = ("select count(*), sum(amount), (select version from datasets where dataset_id = $d) "
                    "from transactions where dataset_id = $d")

    def snapshot():
        with db.read_cursor(con) as cur:
            return tuple(cur.execute(snapshot_sql, {"d": dataset_id}).fetchall()[0])

    old_state = snapshot()
    seen, errors, stop = set(), [], threading.Event()

    def reader():
        while not stop.is_set():
            try:
                seen.add(snapshot())
            except Exception as exc:  # noqa: BLE001 - any error is a failure of this test
                errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(8)]
    for thread in threads:
        thread.start()
    for _ in range(3):
        import_file(con, new, dataset="shop")
        import_file(con, old, dataset="shop")
    stop.set()
    for thread in threads:
        thread.join()
    assert not errors
    valid_counts = {(100, old_state[1]), (3000, float(sum(10 + i for i in range(3000))))}
    assert {(count, total) for count, total, _ in seen} <= valid_counts
    assert len(seen) > 1  # readers really ran during the imports


def test_delete_removes_every_trace_of_a_dataset(con, tmp_path):
    from custlib import capacity, customers, demo, scores
    demo.load_demo(con, "gone", n_customers=1_000, seed=5)
    dataset_id = datasets.get_dataset(con, "gone").dataset_id
    result = customers.customer_table(con, dataset_id, "2026-06-30", customers.ScoreSettings(interval_draws=0))
    scores.store_scores(con, dataset_id, result)
    capacity.save_settings(con, dataset_id, {"core": capacity.TierSettings(10, 4, 100.0)})
    keyed = db.query_df(con, "select table_name from information_schema.columns where column_name = 'dataset_id' "
                             "and table_schema = 'main'")["table_name"].tolist()
    assert {"customer_scores", "capacity_settings", "capacity_settings_history", "transactions"} <= set(keyed)
    datasets.delete_dataset(con, "gone")
    for table in set(keyed) - {"audit_log"}:
        left = db.query_df(con, f'select count(*) as n from "{table}" where dataset_id = ?', [dataset_id])["n"][0]
        assert left == 0, table
    # The audit log is the exception: the record of what happened to the data, this deletion included.
    logged = db.query_df(con, "select action from audit_log where dataset_id = ? order by audit_id",
                         [dataset_id])["action"].tolist()
    assert logged == ["import", "save_plan", "delete"]  # the quota save is a change, so it is logged too


def test_the_same_file_imported_twice_at_once_imports_twice(con, tmp_path):
    """Issue 14, row 15: two sessions importing one file at the same moment both keep the upload (one
    shared partial-copy name made the slower import fail with FileNotFoundError, 5 of 5 tries)."""
    big = tmp_path / "orders.csv"
    big.write_text("customer_id,order_id,order_date,amount\n"
                   + "".join(f"c{i % 500},o{i},2024-01-{1 + i % 28:02d},{i % 90 + 1}\n" for i in range(400_000)))
    for attempt in range(3):
        errors, start = [], threading.Barrier(2)

        def run(name):
            start.wait()
            try:
                import_file(con, big, dataset=name)
            except Exception as exc:  # noqa: BLE001 - any error fails the test
                errors.append(exc)
        threads = [threading.Thread(target=run, args=(f"copy{attempt}_{n}",)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert all(datasets.get_dataset(con, f"copy{attempt}_{n}").dataset_id for n in range(2))
        datasets.delete_dataset(con, f"copy{attempt}_0")  # the kept upload is shared: removed with the last user
        datasets.delete_dataset(con, f"copy{attempt}_1")
    assert list(db.uploads_dir(con).iterdir()) == []
