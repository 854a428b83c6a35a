"""The hostile corpus through the Data page: upload, map, import, as a user clicks through it.

The page's database already holds a small dataset ("demo": 3 orders, 2 customer records, 1 interaction;
small, so the app's first run is quick). Every file must end in its outcome (tests/hostile_corpus.py)
without an exception on the page: a rejected file shows an error (or, when the page itself stops it
at the mapping form, a warning and a disabled Import button) and leaves the database exactly as it
was; an imported file shows what was loaded and what was skipped.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from custlib import db
from tests import hostile_corpus as corpus
from tests.app.helpers import table

DATA_PAGE = "pages/data.py"
SLOW = {"garbage_100mb.csv", "garbage_100mb_no_nul.csv", "zip_bomb.xlsx", "zip_bomb_lying_header.xlsx"}
MIME = {".csv": "text/csv", ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".parquet": "application/octet-stream"}


@pytest.fixture(scope="session")
def folder(tmp_path_factory) -> Path:
    return corpus.session_folder(tmp_path_factory)


@pytest.fixture(scope="session")
def small_template(folder) -> Path:
    return corpus.small_database(folder)


def cases():
    return [pytest.param(case, id=case.name[:40], marks=[pytest.mark.slow] if case.name in SLOW else [])
            for case in corpus.CASES]


def texts(elements) -> str:
    return "\n".join(element.value for element in elements)


def problems(at):
    """The listed problems of the last import (Row, Column, Message), or None when none are listed."""
    return table(at, "Message") if any("Message" in frame.value.columns for frame in at.dataframe) else None


@pytest.mark.parametrize("case", cases())
def test_upload_reaches_the_outcome_without_an_exception(case, folder, small_template, studio_db, start_app):
    shutil.copyfile(small_template, studio_db)
    at = start_app(page=DATA_PAGE)
    before = corpus.fingerprint(studio_db, read_only=False)
    if case.table != "transactions":
        at.selectbox(key="data_table").set_value(case.table).run()
    path = corpus.materialise(case, folder)
    at.file_uploader(key="data_upload").set_value((case.name, path.read_bytes(), MIME[path.suffix])).run()
    assert not at.exception

    stopped_at_preview = bool(at.error)
    if not stopped_at_preview:
        for name, header in case.mapping.items():  # as a user would: free the column, then choose it
            for other in db.TABLE_COLUMNS[case.table]:
                if other != name and at.selectbox(key=f"data_map_{other}").value == header:
                    at.selectbox(key=f"data_map_{other}").set_value("")
            at.selectbox(key=f"data_map_{name}").set_value(header)
        if case.strict:
            at.checkbox(key="data_strict").check()
        if case.mapping or case.strict:
            at.run()
        if not at.button(key="data_import").disabled:
            at.button(key="data_import").click().run()
    assert not at.exception
    alerts = texts(at.error) + texts(at.warning) + texts(at.success)
    assert "root:" not in alerts  # nothing of /etc/passwd (the XXE workbook)
    listed = problems(at)

    if case.outcome == "imported":
        assert not at.error, alerts
        assert f"Imported {case.loaded:,} of {case.read:,} rows from {case.name} into" in alerts
        messages = "\n".join(listed["Message"]) if listed is not None else ""
        assert all(text in messages for text in case.says), messages
        if case.row is not None:
            assert case.row in listed["Row"].tolist()
        if case.column is not None:
            assert case.column in listed["Column"].tolist()
        after = corpus.fingerprint(studio_db, read_only=False)
        target = {d["name"]: d for d in after["info"]}[corpus.target_dataset(case)]
        counted = {"transactions": "transactions", "customers": "customer_records",
                   "interactions": "interactions"}[case.table]
        assert target[counted] == case.loaded
        if case.table == "transactions":
            demo_before = next(d for d in before["info"] if d["name"] == "demo")
            assert next(d for d in after["info"] if d["name"] == "demo") == demo_before
        if case.stored is not None:
            values = corpus.stored_values(studio_db, case, corpus.target_dataset(case), read_only=False)
            assert [str(v) if hasattr(v, "isoformat") else v for v in values] == list(case.stored[1])
        return

    assert not at.success, alerts
    if case.outcome == "decision":
        assert "needs a decision" in texts(at.warning) and all(text in texts(at.warning) for text in case.says)
        assert at.radio(key="data_decision_date_order").options
    elif case.page_says is not None:  # the page's own check: the Import button stays disabled
        assert at.button(key="data_import").disabled and not at.error
        assert all(text in texts(at.warning) for text in case.page_says), texts(at.warning)
    else:
        error = texts(at.error)
        assert case.name in error and all(text in error for text in case.says), error
        assert "Nothing was imported: the database is unchanged." in error
        if case.row is not None:
            assert (f"row {case.row}" in error or f"line {case.row}" in error
                    or (listed is not None and case.row in listed["Row"].tolist()))
        if case.column is not None:
            assert f"column {case.column!r}" in error or case.column in listed["Column"].tolist()
    assert corpus.fingerprint(studio_db, read_only=False) == before
