"""The copy of an upload an import keeps for provenance (``<database>.uploads/``, content-addressed), and
the sweep that removes what a killed import left: unrecorded copies and ended processes' temporary folders."""
from __future__ import annotations
import contextlib
import os
import re
import shutil
import tempfile
import threading
from pathlib import Path
from .. import db, incoming

from .files import TEMP_PREFIX


# Kept uploads of imports still running in this process: not yet in ``imports``, and not orphans.
_KEEPING: set[str] = set()


_KEEPING_LOCK = threading.Lock()


def _keep_upload(con, path: Path, file_name: str, sha256: str | None) -> Path:
    """Copy the upload into the database's uploads folder (content-addressed: the same bytes are kept once).
    It is in use (see :data:`_KEEPING`) until :func:`_done_keeping`; the import records it in ``imports``."""
    folder = db.uploads_dir(con)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    safe = re.sub(r"[^\w.\-]+", "_", Path(file_name).name, flags=re.UNICODE)[:120] or "upload"
    target = folder / f"{(sha256 or 'nohash')[:16]}-{safe}"
    with _KEEPING_LOCK:
        _KEEPING.add(str(target))
    if not target.exists():
        # A partial copy of its own: two imports of the same file at once each write theirs and the second
        # replace overwrites identical bytes (one shared ".partial" name made the slower one fail).
        handle, tmp = tempfile.mkstemp(dir=folder, prefix=target.name + ".", suffix=".partial")
        os.close(handle)
        try:
            shutil.copyfile(path, tmp)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            _done_keeping(target)
            raise
    return target


def _done_keeping(target: Path | None) -> None:
    if target is not None:
        with _KEEPING_LOCK:
            _KEEPING.discard(str(target))


def sweep_leftovers(con) -> list[Path]:
    """Remove what an import killed mid-way (``kill -9``, a power cut) left behind: kept uploads that no
    import of this database records, and the temporary folders of import processes that have ended.
    Called by the app when it opens its database and by the command line before it writes (no other
    process can hold the file then). Returns what went."""
    removed = []
    folder = db.uploads_dir(con)
    if folder.is_dir():
        with db.read_cursor(con) as cur:
            recorded = {row[0] for row in cur.execute(
                "select distinct stored_path from imports where stored_path is not null").fetchall()}
        with _KEEPING_LOCK:
            in_use = set(_KEEPING)
        for path in folder.iterdir():
            in_progress = str(path) in in_use or any(path.name.startswith(Path(k).name + ".") for k in in_use)
            if str(path) not in recorded and not in_progress:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                removed.append(path)
    for leftover in Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*"):
        pid = leftover.name.removeprefix(TEMP_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not incoming.process_alive(int(pid)):
            shutil.rmtree(leftover, ignore_errors=True)
            removed.append(leftover)
    return removed


def _discard_upload(con, stored_path: Path | None) -> None:
    if stored_path is None:
        return
    with db.read_cursor(con) as cur:
        used = cur.execute("select count(*) from imports where stored_path = ?", [str(stored_path)]).fetchall()[0][0]
    if not used:
        with contextlib.suppress(FileNotFoundError):
            stored_path.unlink()
