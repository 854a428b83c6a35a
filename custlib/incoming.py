"""Where an upload waits between the browser and the import, and when it goes.

The preview and the import read files, not bytes, so a browser upload is written to disk once. It holds
customers' names and phone numbers, so it waits beside the database (``<database folder>/incoming/``),
under the same protection as the data itself, never in the machine's shared temporary folder, and it is
removed as soon as nothing needs it:

- when the person replaces or clears the upload (:func:`discard`);
- when its server process ends (an ``atexit`` hook removes that process's folders);
- when its session has ended (the app sweeps on every run: a folder is named by its session);
- after a crash or ``kill -9``: the next upload sweeps folders whose process is gone, and any folder
  untouched for :data:`MAX_IDLE_SECONDS` (a page that still shows the file writes it again on demand).

The copy an import keeps for provenance is another file, in ``<database>.uploads/`` (``custlib.io``).
"""
from __future__ import annotations

import atexit
import os
import secrets
import shutil
import time
from pathlib import Path
import re
from typing import BinaryIO, Callable

FOLDER = "incoming"
MAX_IDLE_SECONDS = 3600
_COPY_CHUNK = 4 << 20
_exit_hook_registered = False
_OWNER = re.compile(r"[A-Za-z0-9-]{1,64}")


def incoming_dir(database: Path) -> Path:
    """The folder beside ``database`` where uploads wait."""
    return Path(database).parent / FOLDER


def write_waiting(source: BinaryIO, database: Path, suffix: str, owner: str | None = None) -> Path:
    """Copy an uploaded file (a binary stream) to a new private folder and return the copy's path.

    ``suffix`` (".csv", ".xlsx", ...) is kept: custlib.io reads the format from it and the first bytes.
    ``owner``: the session it belongs to (letters, digits and dashes), so that :func:`sweep` can remove it
    when that session has ended. Stale folders of other sessions are swept first.
    """
    root = incoming_dir(database)
    sweep(root)
    if owner is not None and not is_owner_name(owner):
        raise ValueError(f"an owner is letters, digits and dashes, not {owner!r}")
    folder = root / "-".join([str(os.getpid())] + ([owner] if owner else []) + [secrets.token_hex(8)])
    folder.mkdir(parents=True, mode=0o700)
    _remove_at_exit(root)
    path = folder / ("upload" + suffix.lower())
    with path.open("wb") as handle:
        shutil.copyfileobj(source, handle, _COPY_CHUNK)
    return path


def is_owner_name(owner: str) -> bool:
    """Whether ``owner`` can name a folder's session (letters, digits and dashes, as a session id)."""
    return bool(_OWNER.fullmatch(owner))


def touch(path: Path) -> bool:
    """Mark a waiting copy as in use (so the idle sweep spares it); False if it is gone."""
    try:
        os.utime(Path(path).parent)
        return Path(path).is_file()
    except FileNotFoundError:
        return False


def discard(path: Path | str | None) -> None:
    """Remove a waiting copy and its folder (nothing happens if it is already gone)."""
    if path is not None:
        shutil.rmtree(Path(path).parent, ignore_errors=True)


def sweep(root: Path, max_idle_seconds: float = MAX_IDLE_SECONDS, now: float | None = None,
          owner_alive: Callable[[str], bool] | None = None) -> list[Path]:
    """Remove the folders under ``root`` whose process has ended, that were idle too long, or (given
    ``owner_alive``, which knows this process's sessions) whose session has ended."""
    removed = []
    now = time.time() if now is None else now
    for folder in root.glob("*-*") if root.is_dir() else ():
        pid, owner = _pid_of(folder), _owner_of(folder)
        try:
            idle = now - folder.stat().st_mtime
        except FileNotFoundError:
            continue
        ended = (owner_alive is not None and owner is not None and pid == os.getpid()
                 and not owner_alive(owner))
        if pid is None or not process_alive(pid) or idle > max_idle_seconds or ended:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def remove_own(root: Path) -> None:
    """Remove every folder this process made under ``root``."""
    for folder in root.glob(f"{os.getpid()}-*") if root.is_dir() else ():
        shutil.rmtree(folder, ignore_errors=True)


# --- helpers

_own_roots: set[Path] = set()  # every incoming folder this process wrote into


def _remove_at_exit(root: Path) -> None:
    global _exit_hook_registered
    _own_roots.add(root)
    if not _exit_hook_registered:
        atexit.register(_remove_all_own)
        _exit_hook_registered = True


def _remove_all_own() -> None:
    for root in list(_own_roots):
        remove_own(root)


def _owner_of(folder: Path) -> str | None:
    """The session in a folder name ``<pid>-<owner>-<token>``; None for ``<pid>-<token>``."""
    parts = folder.name.split("-", 1)
    middle = parts[1].rsplit("-", 1)[0] if len(parts) == 2 and "-" in parts[1] else None
    return middle or None


def _pid_of(folder: Path) -> int | None:
    head = folder.name.split("-", 1)[0]
    return int(head) if head.isdigit() else None


def process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True
