"""AppTest fixtures: each test gets its own database file and empty Streamlit caches."""
from __future__ import annotations

import json
import os

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from custlib import datasets, db
from ui import upload_gate

APP = "../../app.py"  # resolved relative to the test file


@pytest.fixture(autouse=True)
def studio_db(tmp_path, monkeypatch):
    """$CUSTLIB_DB points to a fresh file; caches are cleared (they are process-global and outlive AppTest).

    Access settings from the shell (CUSTLIB_ACCESS_*) are removed: the studio runs in single-user mode unless
    a test configures sign-in (tests/app/test_access.py).
    """
    path = tmp_path / "studio.duckdb"
    monkeypatch.setenv("CUSTLIB_DB", str(path))
    for name in [n for n in os.environ if n.startswith("CUSTLIB_ACCESS_")]:
        monkeypatch.delenv(name)
    st.cache_resource.clear()
    st.cache_data.clear()
    upload_gate.mark_installed()  # AppTest has no HTTP layer: no upload route exists for the gate to guard
    yield path
    st.cache_resource.clear()  # closes the app's connection (ui.data.get_conn's on_release)
    st.cache_data.clear()


@pytest.fixture
def seed(studio_db):
    """seed(dataset, table, rows): store canonical rows (dicts) in the test database, then close it."""
    def store(dataset: str, table: str, rows: list[dict]) -> None:
        frame = pd.DataFrame(rows)
        for column in ("order_date", "signup_date", "interaction_at"):
            if column in frame:
                frame[column] = pd.to_datetime(frame[column])
        con = db.connect(studio_db)
        try:
            datasets.store_frame(con, dataset, table, frame)
        finally:
            con.close()
    return store


@pytest.fixture
def open_db(studio_db):
    """A connection to the test database for assertions, closed after the test."""
    connections = []

    def connect():
        connections.append(db.connect(studio_db))
        return connections[-1]
    yield connect
    for con in connections:
        con.close()


@pytest.fixture
def start_app(studio_db):
    """start_app(page=None, language=None): the studio after its first run, optionally in Chinese and on a page.

    Sidebar widgets exist in AppTest's tree only before the first switch_page, so the language is set first.
    """
    def start(page: str | None = None, language: str | None = None) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=30).run()
        assert not at.exception
        if language:
            at.selectbox(key="sidebar_language").set_value(language).run()
        if page:
            at.switch_page(page).run()
        assert not at.exception
        return at
    return start


DEMO_CUSTOMERS = 2_500  # the real generator, small enough for a few seconds per page test


@pytest.fixture
def demo(studio_db):
    """The seeded demo company (custlib.demo, 2,500 customers, orders 2023-10-01 .. 2026-09-30) in the test database."""
    from custlib import demo as demo_module
    con = db.connect(studio_db)
    try:
        demo_module.load_demo(con, "demo", n_customers=DEMO_CUSTOMERS, seed=7)
    finally:
        con.close()
    return studio_db


@pytest.fixture
def demo_db(demo):
    """The demo company's database (the page tests' name for ``demo``)."""
    return demo


@pytest.fixture
def chart_specs():
    """chart_specs(at): every plotly chart on the page by its title (AppTest has no typed plotly accessor)."""
    def specs(at) -> dict[str, dict]:
        charts = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
        return {spec["layout"].get("title", {}).get("text"): spec for spec in charts}
    return specs
