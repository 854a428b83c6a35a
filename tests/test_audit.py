"""The audit log: imports, deletions and exports are recorded with who did them; deleting a dataset keeps
the log; the command line shows it; databases made before the log gain it when opened."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from custlib import audit, datasets, db, demo
from custlib.cli import main
from custlib.errors import ImportRejected
from custlib.io import import_file

REPO = Path(__file__).resolve().parents[1]
ANALYST = audit.Actor("wang", "analyst", "app")


def _csv(path: Path, rows: int = 3) -> Path:
    path.write_text("customer_id,order_date,amount\n" + "".join(f"c{i},2024-01-0{1 + i % 9},{10 + i}\n"
                                                              for i in range(rows)))
    return path


def test_an_import_is_recorded_with_who_what_and_how_many_rows(con, tmp_path):
    report = import_file(con, _csv(tmp_path / "march.csv", rows=4), dataset="shop", actor=ANALYST)
    [entry] = audit.entries(con)
    assert {k: entry[k] for k in ("user_name", "role", "via", "action", "dataset_name", "dataset_id")} == {
        "user_name": "wang", "role": "analyst", "via": "app", "action": "import", "dataset_name": "shop",
        "dataset_id": datasets.get_dataset(con, "shop").dataset_id}
    assert entry["detail"] == {"file_name": "march.csv", "table": "transactions", "mode": "replace", "rows_read": 4,
                               "rows_loaded": 4, "rows_rejected": 0, "rows_dropped_as_duplicates": 0,
                               "sha256": report.sha256}
    assert entry["recorded_at"].year >= 2024


def test_a_rejected_import_changes_nothing_not_even_the_log(con, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,order_date,amount\nc1,not a date,x\n")
    with pytest.raises(ImportRejected):
        import_file(con, bad, dataset="shop", strict=True, actor=ANALYST)
    assert audit.entries(con) == []


def test_without_an_actor_the_process_user_is_recorded(con, tmp_path):
    import_file(con, _csv(tmp_path / "t.csv"), dataset="shop")
    [entry] = audit.entries(con)
    assert (entry["user_name"], entry["role"], entry["via"]) == (audit.Actor.this_process().user, None, "python")


def test_a_deletion_is_recorded_and_the_log_survives_it(con, tmp_path):
    import_file(con, _csv(tmp_path / "gone.csv", rows=5), dataset="gone", actor=ANALYST)
    dataset_id = datasets.get_dataset(con, "gone").dataset_id
    datasets.delete_dataset(con, "gone", actor=ANALYST)
    deletion, importing = audit.entries(con)
    assert (deletion["action"], deletion["dataset_name"], deletion["dataset_id"]) == ("delete", "gone", dataset_id)
    assert deletion["detail"] == {"rows_deleted": {"imports": 1, "transactions": 5}}
    assert (importing["action"], importing["dataset_id"]) == ("import", dataset_id)  # kept: the log is exempt
    assert db.query_df(con, "select count(*) as n from transactions")["n"][0] == 0  # the data itself is gone


def test_an_export_is_recorded_with_its_name_file_and_rows(con, tmp_path):
    import_file(con, _csv(tmp_path / "t.csv"), dataset="shop")
    shop = datasets.get_dataset(con, "shop")
    audit.log_export(con, audit.Actor("li", "marketing", "app"), "segment members", "shop_Lost.csv", 42, shop)
    entry = audit.entries(con, limit=1)[0]
    assert (entry["action"], entry["role"], entry["dataset_name"]) == ("export", "marketing", "shop")
    assert entry["detail"] == {"export": "segment members", "file_name": "shop_Lost.csv", "rows": 42}
    assert audit.describe_detail(entry["detail"]) == "export=segment members; file_name=shop_Lost.csv; rows=42"


def test_unknown_actions_are_refused(con):
    with pytest.raises(ValueError, match="unknown audit action 'erase'"):
        audit.log(con, ANALYST, "erase")
    with pytest.raises(ValueError, match="unknown way in 'web'"):
        audit.log(con, audit.Actor("x", None, "web"), "login")


def test_the_demo_load_is_recorded_as_an_import(con):
    demo.load_demo(con, "demo", n_customers=1_000, seed=3, actor=ANALYST)
    [entry] = audit.entries(con)
    assert entry["action"] == "import" and entry["dataset_name"] == "demo"
    assert entry["detail"]["rows_loaded"]["customers"] == 1_000


def test_a_database_made_before_the_log_gains_it_when_opened(db_path, tmp_path):
    con = db.connect(db_path)
    import_file(con, _csv(tmp_path / "t.csv"), dataset="shop")
    con.execute("drop table audit_log")
    con.execute("drop sequence audit_ids")
    con.close()
    reader = db.connect(db_path, read_only=True)  # read-only opens change nothing: the log reads as empty
    assert audit.entries(reader) == [] and audit.recent(reader).empty
    reader.close()
    writer = db.connect(db_path)
    import_file(writer, _csv(tmp_path / "t.csv"), dataset="shop", actor=ANALYST)
    assert [e["action"] for e in audit.entries(writer)] == ["import"]
    assert datasets.get_dataset(writer, "shop").version > 1  # the old data were kept
    writer.close()


def test_the_command_line_records_its_import_and_score_export_and_shows_the_log(db_path, tmp_path, capsys):
    con = db.connect(db_path)
    demo.load_demo(con, "demo", n_customers=1_000, seed=5)
    con.close()
    assert main(["import", str(_csv(tmp_path / "extra.csv")), "--db", str(db_path), "--dataset", "extra"]) == 0
    out = tmp_path / "scores.csv"
    assert main(["score", "--db", str(db_path), "--dataset", "demo", "--as-of", "2026-06-30", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["audit", "--db", str(db_path), "--json", "--limit", "2"]) == 0
    export_entry, import_entry = json.loads(capsys.readouterr().out)
    assert (export_entry["action"], export_entry["via"], export_entry["role"]) == ("export", "cli", None)
    rows = len(out.read_text(encoding="utf-8-sig").splitlines()) - 1
    assert export_entry["detail"] == {"export": "customer scores", "file_name": str(out), "rows": rows}
    assert export_entry["recorded_at"].endswith("Z")
    assert (import_entry["action"], import_entry["dataset_name"], import_entry["via"]) == ("import", "extra", "cli")
    assert main(["audit", "--db", str(db_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3  # the demo load, the import, the export
    assert " UTC  export " in lines[0] and "(no role, cli)" in lines[0] and "rows=" in lines[0]


def test_audit_command_on_an_empty_database_and_a_busy_one(db_path):
    db.connect(db_path).close()
    out = subprocess.run([sys.executable, "-m", "custlib", "audit", "--db", str(db_path)], capture_output=True,
                         text=True, cwd=REPO)
    assert out.returncode == 0 and out.stdout.strip() == "The audit log is empty."
    holder = duckdb.connect(str(db_path))
    busy = subprocess.run([sys.executable, "-m", "custlib", "audit", "--db", str(db_path)], capture_output=True,
                          text=True, cwd=REPO)
    holder.close()
    assert busy.returncode == 1 and "in use by another program" in busy.stderr and "Traceback" not in busy.stderr


# --- an audit log you can trust (issue 14, rows 11 and 12; deliverable 5) -----------------------------

FORGED = "\n2026-12-07 05:00:00 UTC  delete        wang (analyst, app)  dataset 'demo'  \x1b[8m\u202e"


def cli_audit(db_path, *args):
    return subprocess.run([sys.executable, "-m", "custlib", "audit", "--db", str(db_path), *args],
                          capture_output=True, text=True, cwd=REPO)


def test_a_user_name_cannot_forge_a_line_or_a_terminal_escape(con, db_path, tmp_path):
    import_file(con, _csv(tmp_path / "march.csv"), dataset="shop", actor=ANALYST)
    audit.log(con, audit.Actor(FORGED, None, "app"), "login_failed")
    audit.log(con, ANALYST, "export", detail={"file_name": "a\rb.csv", "note\n": "x\x07"})
    stored = audit.entries(con, 2)
    assert all(ch.isprintable() for e in stored for ch in e["user_name"] + json.dumps(e["detail"]))
    con.close()
    out = cli_audit(db_path)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 3  # one line per entry, whatever the names hold
    assert "\x1b" not in out.stdout and "\u202e" not in out.stdout and "\r" not in out.stdout
    assert [line.split()[3] for line in lines] == ["export", "login_failed", "import"]
    assert "\\u000a2026-12-07" in lines[1] and "\\u001b[8m" in lines[1]


def test_verify_finds_an_edited_entry_a_deleted_one_and_a_cut_tail(con, db_path, tmp_path):
    import_file(con, _csv(tmp_path / "march.csv"), dataset="shop", actor=ANALYST)
    for n in range(4):
        audit.log(con, ANALYST, "export", detail={"export": "members", "file_name": f"m{n}.csv", "rows": n})
    whole = audit.verify(con)
    assert whole.intact and whole.entries == 5 and len(whole.head) == 64
    con.close()
    ok = cli_audit(db_path, "--verify")
    assert ok.returncode == 0 and f"5 entries, newest hash {whole.head}" in ok.stdout

    raw = duckdb.connect(str(db_path))  # someone with the file edits the log behind custlib's back
    raw.execute("update audit_log set user_name = 'nobody' where audit_id = 2")
    raw.close()
    edited = cli_audit(db_path, "--verify")
    assert edited.returncode == 1 and "entry 2 was changed after it was written" in edited.stderr

    raw = duckdb.connect(str(db_path))
    raw.execute("update audit_log set user_name = 'wang' where audit_id = 2")  # put back ...
    raw.execute("delete from audit_log where audit_id = 3")                    # ... and remove one
    raw.close()
    deleted = cli_audit(db_path, "--verify")
    assert deleted.returncode == 1 and "entry 4 does not follow the entry before it" in deleted.stderr

    raw = duckdb.connect(str(db_path))
    raw.execute("delete from audit_log where audit_id >= 3")  # cut the tail: the rest is a whole chain
    raw.close()
    assert cli_audit(db_path, "--verify").returncode == 0
    cut = cli_audit(db_path, "--verify", "--head", whole.head)
    assert cut.returncode == 1 and "is no longer in the log" in cut.stderr


def test_entries_written_before_the_chain_existed_are_sealed_in_order(db_path):
    con = db.connect(db_path)
    con.close()
    raw = duckdb.connect(str(db_path))  # an older database: entries without hashes
    raw.execute("update audit_log set prev_hash = null, entry_hash = null")
    for n in range(3):
        raw.execute("insert into audit_log (recorded_at, user_name, via, action) values (now()::timestamp, ?, 'cli', "
                    "'export')", [f"old{n}"])
    raw.close()
    con = db.connect(db_path)
    try:
        result = audit.verify(con)
        assert result.intact and result.entries == 3
        audit.log(con, ANALYST, "logout")
        assert audit.verify(con).intact
    finally:
        con.close()


def test_a_program_that_imports_only_db_still_seals_the_log_when_it_opens_a_database(db_path):
    """db cannot import audit (audit writes through db): the log reaches db.connect through custlib/__init__.py,
    so a program that imports nothing but db still makes and seals it."""
    db.connect(db_path).close()
    raw = duckdb.connect(str(db_path))  # an entry written by an older version: no hash
    raw.execute("insert into audit_log (recorded_at, user_name, via, action) values (now()::timestamp, 'old', 'cli', "
                "'export')")
    raw.close()
    opener = "import sys\nfrom custlib import db\ndb.connect(sys.argv[1]).close()"
    opened = subprocess.run([sys.executable, "-c", opener, str(db_path)], capture_output=True, text=True, cwd=REPO)
    assert opened.returncode == 0, opened.stderr
    raw = duckdb.connect(str(db_path), read_only=True)
    assert raw.execute("select count(*) from audit_log where entry_hash is null").fetchall() == [(0,)]
    raw.close()
