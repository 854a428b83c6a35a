"""The command line reads a database the app holds (issue 14, row 14): while one process holds the DuckDB
file, no other can open it, so the holder answers the read commands (custlib.relay).

Each test holds a real database file open for writing in this process, as the app does, and runs the
command line as a real second process.
"""
from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from custlib import datasets, db, relay
from custlib.cli import run_for_the_app
from custlib.demo import load_demo

REPO = Path(__file__).resolve().parents[1]

# What a script may run while the app holds the file, each answered as if the app were stopped; the last
# one fails (no such dataset), so its message on stderr and its exit code come through too.
READ_COMMANDS = [["info"], ["info", "--json"], ["audit", "--verify"], ["audit", "--limit", "3"],
                 ["kpis", "--period", "2026-06"], ["kpis", "--dataset", "missing", "--period", "2026-06"]]


def cli(db_path: Path, *argv: str) -> subprocess.CompletedProcess:
    # The path as another folder spells it: the app and the command line find each other by the resolved path.
    spelt = os.path.relpath(db_path, REPO)
    return subprocess.run([sys.executable, "-m", "custlib", *argv, "--db", spelt], capture_output=True,
                          text=True, cwd=REPO, timeout=120)


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("relay") / "demo.duckdb"
    con = db.connect(path)
    try:
        load_demo(con, n_customers=1_000, seed=3)
    finally:
        con.close()
    return path


@pytest.fixture(scope="module")
def direct_answers(demo_file) -> dict[tuple[str, ...], tuple[int, str, str]]:
    """What each read command prints when it opens the file itself (the app stopped)."""
    answers = {}
    for argv in READ_COMMANDS:
        done = cli(demo_file, *argv)
        answers[tuple(argv)] = (done.returncode, done.stdout, done.stderr)
    return answers


@pytest.fixture
def held(demo_file):
    """The demo database held for writing by this process, as the running app holds it."""
    con = db.connect(demo_file)
    yield con
    con.close()


@pytest.fixture
def served(held, demo_file):
    answering = relay.serve(held, demo_file, run_for_the_app)
    yield answering
    answering.close()


def busy(done: subprocess.CompletedProcess) -> bool:
    return (done.returncode == 1 and done.stdout == "" and "is in use by another program" in done.stderr
            and "Traceback" not in done.stderr)


def test_read_commands_answer_while_the_app_holds_the_file_exactly_as_without_it(served, demo_file,
                                                                                  direct_answers):
    assert direct_answers[("info",)][1].startswith("demo (active): version ")
    assert direct_answers[("audit", "--verify")][1].startswith("The audit log is intact")
    assert direct_answers[("kpis", "--dataset", "missing", "--period", "2026-06")][0] == 1
    for argv in READ_COMMANDS:
        done = cli(demo_file, *argv)
        assert (done.returncode, done.stdout, done.stderr) == direct_answers[tuple(argv)], argv


def test_without_a_relay_the_command_line_says_the_database_is_busy(held, demo_file):
    assert busy(cli(demo_file, "info"))
    assert busy(cli(demo_file, "audit", "--verify"))


def test_the_contact_file_is_private_and_gone_after_close(held, demo_file, direct_answers):
    answering = relay.serve(held, demo_file, run_for_the_app)
    contact = relay.contact_file(demo_file)
    assert contact == demo_file.with_name("demo.duckdb.relay.json")
    assert stat.S_IMODE(contact.stat().st_mode) == 0o600
    written = json.loads(contact.read_text())
    assert written == {"pid": os.getpid(), "port": answering.port, "token": answering.token}
    assert len(answering.token) >= 40
    answering.close()
    answering.close()  # twice is harmless (the app's release hook, then exit)
    assert not contact.exists()
    assert busy(cli(demo_file, "info"))  # still held, no longer answered: the sentence of before
    held.close()
    done = cli(demo_file, "info")
    assert (done.returncode, done.stdout, done.stderr) == direct_answers[("info",)]


def test_a_request_without_the_token_is_refused(served):
    def send(payload: bytes) -> dict:
        with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
            sock.sendall(payload)
            with sock.makefile("rb") as reply:
                return json.loads(reply.readline())

    for token in ("wrong", "", None, served.token[:-1]):
        answer = send(json.dumps({"token": token, "argv": ["info"]}).encode() + b"\n")
        assert answer == {"exit": 1, "stdout": "",
                          "stderr": "Error: The request does not carry the running app's token. Nothing was run.\n"}
    too_long = json.dumps({"token": served.token, "argv": ["info", "x" * relay.MAX_REQUEST_BYTES]}).encode() + b"\n"
    assert "too long" in send(too_long)["stderr"]
    assert "not a command" in send(b"hello\n")["stderr"]
    assert send(json.dumps({"token": served.token, "argv": ["info"]}).encode() + b"\n")["exit"] == 0


def test_a_client_that_sends_nothing_holds_up_no_one(served, demo_file, direct_answers, monkeypatch, capsys):
    monkeypatch.setattr(relay._Handler, "timeout", 0.5)
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as silent:
        silent.sendall(b'{"token": ')  # and nothing more
        assert relay.ask(demo_file, ["info"]) == direct_answers[("info",)]
        assert silent.recv(100) == b""  # dropped after its timeout, unanswered
    assert capsys.readouterr() == ("", "")  # and no stack trace in the app's log


def test_commands_that_write_are_refused_and_change_nothing(served, held, demo_file, tmp_path, capsys):
    before = datasets.dataset_info(held)
    orders = tmp_path / "orders.csv"
    orders.write_text("customer_id,order_date,amount\nc1,2024-01-02,10\n")
    for argv in (["import", str(orders), "--dataset", "extra"], ["demo", "--customers", "1000"],
                 ["score", "--out", str(tmp_path / "scores.csv")]):
        exit_code, out, err = relay.ask(demo_file, argv)
        assert exit_code == 1 and out == ""
        assert err.startswith("Error: the running app answers only the commands that read") and "Data page" in err
    assert datasets.dataset_info(held) == before
    assert not (tmp_path / "scores.csv").exists()
    assert busy(cli(demo_file, "import", str(orders), "--dataset", "extra"))  # the CLI does not even ask
    exit_code, out, err = relay.ask(demo_file, ["info", "--bogus"])  # argparse's own refusal comes back too
    assert exit_code == 2 and out == "" and "unrecognized arguments: --bogus" in err
    assert capsys.readouterr() == ("", "")  # nothing reached this process's own output


def test_the_relay_answers_for_its_own_database_whatever_db_says(served, demo_file, direct_answers):
    assert relay.ask(demo_file, ["info", "--db", "/nowhere/else.duckdb"]) == direct_answers[("info",)]


def test_requests_at_the_same_time_get_their_own_output(served, demo_file, direct_answers, capsys):
    commands = [argv for argv in READ_COMMANDS for _ in range(3)]
    answers: dict[int, tuple] = {}
    start = threading.Barrier(len(commands))

    def ask(number: int, argv: list[str]) -> None:
        start.wait()
        answers[number] = relay.ask(demo_file, argv)

    threads = [threading.Thread(target=ask, args=pair) for pair in enumerate(commands)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert [answers.get(n) for n in range(len(commands))] == [direct_answers[tuple(argv)] for argv in commands]
    assert capsys.readouterr() == ("", "")


def test_a_contact_file_left_by_an_app_that_ended_is_not_asked_and_is_replaced(held, demo_file, direct_answers):
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    contact = relay.contact_file(demo_file)
    contact.write_text(json.dumps({"pid": int(ended.stdout), "port": 9, "token": "old"}))
    try:
        assert relay.ask(demo_file, ["info"]) is None
        assert busy(cli(demo_file, "info"))
        answering = relay.serve(held, demo_file, run_for_the_app)
    finally:
        if json.loads(contact.read_text())["token"] == "old":
            contact.unlink()
    try:
        assert relay.ask(demo_file, ["info"]) == direct_answers[("info",)]
    finally:
        answering.close()
    assert not contact.exists()


def test_no_app_no_file_no_answer(tmp_path):
    assert relay.ask(tmp_path / "none.duckdb", ["info"]) is None


def test_the_app_works_when_the_relay_cannot_start(tmp_path, monkeypatch, caplog):
    import streamlit as st

    from ui import data

    database = tmp_path / "app.duckdb"
    relay.contact_file(database).mkdir()  # a folder where the contact file must go: it cannot be written
    monkeypatch.setenv("CUSTLIB_DB", str(database))
    st.cache_resource.clear()
    try:
        with caplog.at_level("WARNING", logger="ui.data"):
            con = data.get_conn()
        assert datasets.list_datasets(con) == []
        assert "The command line cannot read" in caplog.text and "Is a directory" in caplog.text
    finally:
        st.cache_resource.clear()  # closes the connection (get_conn's on_release)
