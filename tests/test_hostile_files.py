"""The hostile corpus through the command line, as a user runs it: a real process per file.

Every file of tests/hostile_corpus.py goes into a copy of a database that already holds the demo
dataset. Each must end in its outcome, with a clear message and no stack trace; a rejected file (or
one that needs a decision) must leave the database exactly as it was: the same ``info``, the same
rows in every table, nothing new in the uploads folder.
"""
from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from custlib.export import FORMULA_PREFIXES, csv_bytes
from tests import hostile_corpus as corpus

REPO = Path(__file__).resolve().parents[1]
SLOW = {"garbage_100mb.csv", "garbage_100mb_no_nul.csv", "zip_bomb.xlsx", "zip_bomb_lying_header.xlsx"}


@pytest.fixture(scope="session")
def folder(tmp_path_factory) -> Path:
    return corpus.session_folder(tmp_path_factory)


@pytest.fixture(scope="session")
def demo(folder) -> tuple[Path, dict]:
    path = corpus.demo_database(folder)
    return path, corpus.fingerprint(path)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTLIB_")} | {"PYTHONUTF8": "1"}
    return subprocess.run([sys.executable, "-m", "custlib", *args], check=False, cwd=REPO, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=180)


def assert_one_clear_message(output: str) -> list[str]:
    """A message a person can read: no stack trace, lines of sane length, not pages of it."""
    assert "Traceback" not in output and 'File "' not in output
    lines = output.rstrip("\n").split("\n")
    assert 1 <= len(lines) <= 80 and max(len(line) for line in lines) <= 1_500
    return lines


def cases():
    return [pytest.param(case, id=case.name[:40], marks=[pytest.mark.slow] if case.name in SLOW else [])
            for case in corpus.CASES]


def import_args(case: corpus.Case, path: Path, db_path: Path) -> list[str]:
    args = ["import", str(path), "--db", str(db_path), "--table", case.table]
    if case.mapping:
        args += ["--map", ",".join(f"{name}={header}" for name, header in case.mapping.items())]
    if case.strict:
        args.append("--strict")
    return args


@pytest.fixture(scope="module")
def cli_runs(request, folder, demo, tmp_path_factory) -> dict[str, tuple[subprocess.CompletedProcess, Path]]:
    """Every collected case imported by its own process into its own copy of the demo database.

    The processes run three at a time (most of each is Python starting up); the files are written first.
    """
    wanted = [item.callspec.params["case"] for item in request.session.items
              if item.path == request.path and hasattr(item, "callspec") and "case" in item.callspec.params]
    jobs = []
    for case in wanted:
        db_path = tmp_path_factory.mktemp("cli") / "studio.duckdb"
        shutil.copyfile(demo[0], db_path)
        jobs.append((case, import_args(case, corpus.materialise(case, folder), db_path), db_path))
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda job: run_cli(*job[1]), jobs))
    return {case.name: (result, db_path) for (case, _, db_path), result in zip(jobs, results)}


@pytest.mark.parametrize("case", cases())
def test_cli_reaches_the_outcome_with_a_clear_message(case, cli_runs, demo):
    _, before = demo
    result, db_path = cli_runs[case.name]
    output = result.stdout + result.stderr
    assert "root:" not in output  # nothing of /etc/passwd (the XXE workbook)

    if case.outcome == "imported":
        assert result.returncode == 0, output
        lines = assert_one_clear_message(result.stdout)
        assert lines[0].startswith(f"Imported {case.loaded:,} of {case.read:,} rows from {case.name} ")
        assert not result.stderr
        assert all(text in result.stdout for text in case.says), result.stdout
        if case.row is not None:
            assert f"{case.name}, row {case.row}" in result.stdout
        if case.column is not None:
            assert f"column {case.column!r}" in result.stdout
        after = corpus.fingerprint(db_path)
        info = {d["name"]: d for d in after["info"]}
        target = info[corpus.target_dataset(case)]
        counted = {"transactions": "transactions", "customers": "customer_records",
                   "interactions": "interactions"}[case.table]
        assert target[counted] == case.loaded
        demo_before = next(d for d in before["info"] if d["name"] == "demo")
        if case.table == "transactions":  # the demo dataset is untouched by a new dataset
            assert info["demo"] == demo_before
        else:  # the demo's other tables are untouched
            assert info["demo"]["transactions"] == demo_before["transactions"]
            assert info["demo"]["total_amount"] == demo_before["total_amount"]
        if case.stored is not None:
            values = corpus.stored_values(db_path, case, corpus.target_dataset(case))
            assert [str(v) if hasattr(v, "isoformat") else v for v in values] == list(case.stored[1])
            assert_exports_neutralise(values)
        return

    assert result.returncode == 1, output
    assert not result.stdout
    lines = assert_one_clear_message(result.stderr)
    if case.outcome == "decision":
        assert lines[0].startswith("Needs a decision: ") and case.name in lines[0]
    else:
        assert lines[0].startswith(f"Rejected {case.name}: ") and lines[0].endswith("The database is unchanged.")
    assert all(text in lines[0] for text in case.says), lines[0]
    if case.row is not None:
        assert f"row {case.row}" in result.stderr
    if case.column is not None:
        assert f"column {case.column!r}" in result.stderr
    assert corpus.fingerprint(db_path) == before


def assert_exports_neutralise(values: list) -> None:
    """Text that a spreadsheet would run as a formula comes out of our CSV exports with a leading quote."""
    text = [v for v in values if isinstance(v, str)]
    if not any(v.startswith(FORMULA_PREFIXES) for v in text):
        return
    import pandas as pd

    exported = csv_bytes(pd.DataFrame({"value": text})).decode("utf-8-sig")
    cells = [row[0] for row in csv.reader(io.StringIO(exported, newline=""))][1:]
    for original, cell in zip(text, cells, strict=True):
        assert cell == ("'" + original if original.startswith(FORMULA_PREFIXES) else original)


def test_the_corpus_is_large_and_its_readme_current():
    names = [case.name for case in corpus.CASES]
    assert len(names) == len(set(names)) >= 40
    committed = {p.name for p in corpus.HOSTILE_DIR.iterdir()} - {"README.md"}
    assert committed == {case.name for case in corpus.CASES if not case.generated}
    assert committed == set(corpus.small_files())
    for name, data in corpus.small_files().items():
        assert (corpus.HOSTILE_DIR / name).read_bytes() == data, f"{name}: run python tests/hostile_corpus.py"
    assert (corpus.HOSTILE_DIR / "README.md").read_text(encoding="utf-8") == corpus.readme()
    assert {case.outcome for case in corpus.CASES} == {"rejected", "imported", "decision"}


def test_info_json_is_the_same_after_a_rejected_file(folder, demo, tmp_path):
    """The user's own check, `custlib info --json`, agrees: a rejected file leaves the database as it was."""
    template, _ = demo
    db_path = tmp_path / "studio.duckdb"
    shutil.copyfile(template, db_path)
    before = run_cli("info", "--db", str(db_path), "--json").stdout
    case = next(c for c in corpus.CASES if c.name == "drop_table_header_missing.csv")
    assert run_cli("import", str(corpus.materialise(case, folder)), "--db", str(db_path)).returncode == 1
    after = run_cli("info", "--db", str(db_path), "--json")
    assert after.returncode == 0 and after.stdout == before and '"demo"' in before
