"""Uploads waiting for their import: beside the database, removed when replaced, at exit, and after a crash."""
from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from custlib import incoming

REPO = Path(__file__).resolve().parents[1]


def test_a_waiting_copy_is_private_and_beside_the_database(tmp_path):
    path = incoming.write_waiting(io.BytesIO(b"a,b\n1,2\n"), tmp_path / "studio.duckdb", ".CSV")
    assert path.parent.parent == tmp_path / "incoming" and path.name == "upload.csv"
    assert path.read_bytes() == b"a,b\n1,2\n"
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert incoming.touch(path)
    incoming.discard(path)
    assert not path.parent.exists() and not incoming.touch(path)
    incoming.discard(path)  # twice is fine


def test_the_sweep_removes_folders_of_ended_processes_and_idle_ones_only(tmp_path):
    root = incoming.incoming_dir(tmp_path / "studio.duckdb")
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                           text=True, check=True)
    dead = root / f"{ended.stdout.strip()}-0000"
    fresh = incoming.write_waiting(io.BytesIO(b"x"), tmp_path / "studio.duckdb", ".csv").parent
    idle = root / f"{os.getpid()}-1111"
    for folder in (dead, idle):
        folder.mkdir(parents=True)
        (folder / "upload.csv").write_bytes(b"x")
    now = fresh.stat().st_mtime  # the file system's clock, whatever the process's clock says
    old = now - incoming.MAX_IDLE_SECONDS - 60
    os.utime(idle, (old, old))
    removed = incoming.sweep(root, now=now + 1)
    assert sorted(removed) == sorted([dead, idle])
    assert fresh.is_dir() and not dead.exists() and not idle.exists()


SERVER = textwrap.dedent("""
    import io, sys, time
    from pathlib import Path
    from custlib import incoming
    path = incoming.write_waiting(io.BytesIO(b"names and phones"), Path(sys.argv[1]), ".csv")
    print(path, flush=True)
    if sys.argv[2] == "wait":
        time.sleep(60)
""")


def test_a_process_removes_its_copies_when_it_ends(tmp_path):
    out = subprocess.run([sys.executable, "-c", SERVER, str(tmp_path / "studio.duckdb"), "exit"], cwd=REPO,
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("upload.csv")
    assert list((tmp_path / "incoming").iterdir()) == []


def test_a_killed_process_leaves_a_copy_that_the_next_upload_sweeps(tmp_path):
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(tmp_path / "studio.duckdb"), "wait"], cwd=REPO,
                              stdout=subprocess.PIPE, text=True)
    orphan = Path(server.stdout.readline().strip())
    server.send_signal(signal.SIGKILL)
    server.wait()
    server.stdout.close()
    assert orphan.is_file()  # kill -9: no exit hook ran
    incoming.write_waiting(io.BytesIO(b"next"), tmp_path / "studio.duckdb", ".csv")
    assert not orphan.parent.exists()


def test_the_copies_of_a_session_that_has_ended_are_swept(tmp_path):
    """Issue 14, row 16: a session's upload copy stayed until its process ended or an hour passed."""
    database = tmp_path / "studio.duckdb"
    session = "7c1e4a52-93b0-4d4c-8d47-1f0b8f2f7a11"  # Streamlit session ids are UUIDs
    theirs = incoming.write_waiting(io.BytesIO(b"x"), database, ".csv", owner=session)
    ours = incoming.write_waiting(io.BytesIO(b"y"), database, ".csv", owner="5f5a8c3e-0d2b-4f7e-9a61-2c3d4e5f6a7b")
    unowned = incoming.write_waiting(io.BytesIO(b"z"), database, ".csv")
    alive = {"5f5a8c3e-0d2b-4f7e-9a61-2c3d4e5f6a7b"}
    removed = incoming.sweep(incoming.incoming_dir(database), owner_alive=lambda owner: owner in alive)
    assert removed == [theirs.parent]
    assert not theirs.exists() and ours.exists() and unowned.exists()
    assert not incoming.is_owner_name("../../etc") and not incoming.is_owner_name("a b")
    for path in (ours, unowned):
        incoming.discard(path)
