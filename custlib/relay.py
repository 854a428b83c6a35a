"""Lets the command line read a database that the running app holds.

DuckDB lets one process open a database file for writing, and while it does, no other process can open
the file at all, not even to read. So the app, which holds the file, runs the command line's read commands
(``custlib.cli.READ_COMMANDS``: info, kpis, fit-clv, audit) itself, on its own connection:

- :func:`serve` listens on 127.0.0.1 (a free port) and writes ``<database>.relay.json`` beside the file:
  the app's pid, the port and a random token, readable by this OS user only (mode 0600). Whoever can read
  it can read the database file anyway, so it grants nothing new; a request without the token is refused.
- :func:`ask` is the command line's side: it finds the contact file, sends the command's arguments and
  returns its exit code and output, exactly what the command prints when it opens the file itself; None
  when no app answers, and the command line says the database is busy as before.

A request is one JSON line, ``{"token", "argv"}``, answered by one JSON line, ``{"exit", "stdout",
"stderr"}``. Each request runs in a thread of its own on a cursor of its own (a DuckDB connection is never
shared between threads). Commands that write are refused: changes go through the app's Data page.
"""
from __future__ import annotations

import atexit
import contextlib
import hmac
import json
import os
import secrets
import socket
import socketserver
import threading
from pathlib import Path
from typing import Callable

from .incoming import process_alive

CONTACT_SUFFIX = ".relay.json"
MAX_REQUEST_BYTES = 64 * 1024  # a command line is a few hundred bytes
REQUEST_SECONDS = 10  # for a request line to arrive, and for the answer to be taken
CONNECT_SECONDS = 5
ANSWER_SECONDS = 900  # fit-clv on a million customers takes seconds; a busy app may take longer
_POLL_SECONDS = 0.5


def contact_file(db_path: str | os.PathLike) -> Path:
    """``<database>.relay.json`` beside the database file, by its resolved path (so that ``data/x.duckdb``
    from one folder and ``/srv/app/data/x.duckdb`` from another find the same app)."""
    database = Path(db_path).resolve()
    return database.with_name(database.name + CONTACT_SUFFIX)


class Relay:
    """The app's side: answers read commands for one database on its connection until :meth:`close`."""

    def __init__(self, con, db_path: str | os.PathLike, run: Callable[[object, list[str]], tuple[int, str, str]]):
        self.database = Path(db_path).resolve()
        self.contact = contact_file(self.database)
        self.token = secrets.token_urlsafe(32)
        self._con = con
        self._run = run
        self._closed = False
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.relay = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(_POLL_SECONDS,),
                                        name=f"custlib-relay-{self.port}", daemon=True)
        try:
            self._thread.start()
            _write_contact(self.contact, {"pid": os.getpid(), "port": self.port, "token": self.token})
        except BaseException:
            self._stop_server()
            raise
        # At exit only the file needs removing (the socket ends with the process); waiting for the
        # server thread there could hold up the app's shutdown.
        atexit.register(self._remove_contact)

    def close(self) -> None:
        """Stop answering and remove the contact file (if it is still ours). Safe to call twice."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        atexit.unregister(self._remove_contact)
        self._remove_contact()
        self._stop_server()

    def answer(self, line: bytes) -> tuple[int, str, str]:
        """(exit code, stdout, stderr) for one request line."""
        if len(line) > MAX_REQUEST_BYTES or not line.endswith(b"\n"):
            return _refusal("The request was too long or cut short.")
        try:
            request = json.loads(line)
            token, argv = request["token"], request["argv"]
        except (ValueError, KeyError, TypeError):
            return _refusal("The request is not a command for the studio.")
        if not isinstance(token, str) or not hmac.compare_digest(token.encode(), self.token.encode()):
            return _refusal("The request does not carry the running app's token.")
        if not isinstance(argv, list) or not all(isinstance(part, str) for part in argv):
            return _refusal("The request is not a command for the studio.")
        try:
            cursor = self._con.cursor()
        except Exception as exc:  # the app closed its connection meanwhile
            return _refusal(f"The running app cannot read its database now ({exc}).")
        try:
            return self._run(cursor, argv)
        except Exception as exc:  # the command line's own last line of defence, for CUSTLIB_DEBUG in the app
            return 1, "", f"Unexpected error in the running app ({type(exc).__name__}): {exc}.\n"
        finally:
            cursor.close()

    def _stop_server(self) -> None:
        with contextlib.suppress(OSError):
            # Wakes the server's wait for a connection now rather than at its next poll (Linux); where a
            # listening socket cannot be shut down, shutdown() below waits up to _POLL_SECONDS.
            self._server.socket.shutdown(socket.SHUT_RDWR)
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def _remove_contact(self) -> None:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            # A later app on the same database may have written its own; that one stays.
            if json.loads(self.contact.read_text(encoding="utf-8")).get("token") == self.token:
                self.contact.unlink()


def serve(con, db_path: str | os.PathLike, run: Callable[[object, list[str]], tuple[int, str, str]]) -> Relay:
    """Answer the command line's read commands for the database at ``db_path`` on ``con`` (the app's
    connection, which holds the file for writing) until the returned Relay is closed. ``run(cursor, argv)``
    runs one command and returns (exit code, stdout, stderr): ``custlib.cli.run_for_the_app``, passed in
    by the app so that this module, which the command line imports, does not import it back.

    Holding the file means no other process has it open, so a contact file found beside it was left by an
    app that has stopped (killed, or its pid since reused) and is replaced. Raises OSError when no port
    can be opened or the folder is not writable.
    """
    return Relay(con, db_path, run)


def ask(db_path: str | os.PathLike, argv: list[str]) -> tuple[int, str, str] | None:
    """Have the app that holds ``db_path`` run a command: (exit code, stdout, stderr), or None when no app
    answers (no contact file, its process has ended, nothing listens on its port, or no answer came)."""
    try:
        contact = json.loads(contact_file(db_path).read_text(encoding="utf-8"))
        pid, port, token = int(contact["pid"]), int(contact["port"]), str(contact["token"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if pid <= 0 or not process_alive(pid):
        return None
    request = json.dumps({"token": token, "argv": list(argv)}).encode() + b"\n"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=CONNECT_SECONDS) as sock:
            sock.settimeout(ANSWER_SECONDS)
            sock.sendall(request)
            with sock.makefile("rb") as reply:
                answer = json.loads(reply.readline())
        return int(answer["exit"]), str(answer["stdout"]), str(answer["stderr"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


# --- helpers

class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True  # a request still running when the app stops does not hold it up
    relay: Relay


class _Handler(socketserver.StreamRequestHandler):
    timeout = REQUEST_SECONDS

    def handle(self) -> None:
        # A client that sends nothing in time, or leaves before its answer, gets none; the app's log gets
        # no stack trace either way.
        try:
            line = self.rfile.readline(MAX_REQUEST_BYTES + 1)
        except OSError:
            return
        exit_code, out, err = self.server.relay.answer(line)
        with contextlib.suppress(OSError):
            self.wfile.write(json.dumps({"exit": exit_code, "stdout": out, "stderr": err}).encode() + b"\n")


def _refusal(reason: str) -> tuple[int, str, str]:
    return 1, "", f"Error: {reason} Nothing was run.\n"


def _write_contact(path: Path, contact: dict) -> None:
    """Write ``contact`` to ``path`` whole or not at all, private to this user from the first byte."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(contact, handle)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
