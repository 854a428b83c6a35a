"""Readers never wait for a writer (issue 14, row 13).

The write lock is held here by the test itself, as a long import's commit would hold it; what must go on
meanwhile is checked by running it in a thread and seeing it finish while the lock is still held.
"""
from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

from custlib import audit, capacity, datasets, db, simulate
from custlib.io import import_file

SLOW = 30  # seconds: what would count as waiting for ever


def _finishes_while_the_write_lock_is_held(work) -> list:
    done, errors = [], []

    def run():
        try:
            done.append(work())
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)

    with db._WRITE_LOCK:
        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        worker.join(SLOW)
        finished = not worker.is_alive()
    worker.join()
    assert not errors, errors
    assert finished, "it waited for the write lock"
    return done


@pytest.mark.parametrize("read", [
    pytest.param(lambda con: capacity.get_settings(con, 1), id="capacity settings"),
    pytest.param(lambda con: capacity.settings_history(con, 1), id="capacity history"),
    pytest.param(lambda con: simulate.list_scenarios(con, 1), id="saved scenarios"),
    pytest.param(lambda con: db.query_df(con, "select * from customer_scores where dataset_id = 1"),
                 id="stored scores"),
    pytest.param(lambda con: audit.entries(con, 10), id="audit log"),
    pytest.param(lambda con: datasets.list_datasets(con), id="datasets"),
])
def test_page_reads_take_no_write_lock(con, read):
    _finishes_while_the_write_lock_is_held(lambda: read(con))


def _frames_of(thread: threading.Thread) -> list:
    frame, frames = sys._current_frames().get(thread.ident), []
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back
    return frames


def test_an_import_reads_and_checks_its_file_before_it_takes_the_write_lock(con, tmp_path):
    sales = tmp_path / "sales.csv"
    sales.write_text("customer_id,order_id,order_date,amount\n"
                     + "".join(f"c{i % 97},o{i},2024-0{1 + i % 9}-1{i % 10},{i % 50}.5\n" for i in range(20_000)),
                     encoding="utf-8")
    reports = []
    with db._WRITE_LOCK:  # another writer's commit
        importing = threading.Thread(target=lambda: reports.append(import_file(con, sales, dataset="sales")))
        importing.start()
        deadline, waiting_with = time.monotonic() + SLOW, None
        while waiting_with is None and importing.is_alive() and time.monotonic() < deadline:
            frames = _frames_of(importing)
            if any(f.f_code.co_name == "write_transaction" for f in frames):
                waiting_with = next(f.f_locals for f in frames if f.f_code.co_name == "import_file")
            time.sleep(0.01)
        assert waiting_with is not None, "the import never came to the write lock"
        # It waits for the lock with every row already read, parsed and checked:
        assert "good_rows" in waiting_with, "the import took the write lock before staging its rows"
    importing.join(SLOW)
    assert reports and reports[0].rows_loaded == 20_000
    assert db.query_df(con, "select count(*) as n from transactions")["n"][0] == 20_000


def _memory_limit_gib(con) -> float:
    shown = db.query_df(con, "select current_setting('memory_limit') as m")["m"][0]  # e.g. '18.7 GiB'
    number, unit = shown.split()
    return float(number) * {"MiB": 1 / 1024, "GiB": 1.0, "TiB": 1024.0}[unit]


def test_overlapping_imports_put_the_memory_limit_back(con, tmp_path):
    before = _memory_limit_gib(con)
    files = []
    for k in range(4):
        path = tmp_path / f"part{k}.csv"
        path.write_text("customer_id,order_date,amount\n"
                        + "".join(f"c{i},2024-01-0{1 + i % 9},{i}\n" for i in range(5_000)), encoding="utf-8")
        files.append(path)
    threads = [threading.Thread(target=import_file, args=(con, path), kwargs={"dataset": path.stem})
               for path in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(SLOW)
    assert _memory_limit_gib(con) == pytest.approx(before, rel=0.01)  # put back as shown, to one decimal
    assert sorted(d.name for d in datasets.list_datasets(con)) == [p.stem for p in files]


def test_tables_of_saved_work_exist_once_the_database_is_opened(db_path: Path):
    con = db.connect(db_path)
    try:
        tables = set(db.query_df(con, "select table_name from duckdb_tables()")["table_name"])
    finally:
        con.close()
    assert {"capacity_settings", "capacity_settings_history", "sim_scenarios", "customer_scores"} <= tables
