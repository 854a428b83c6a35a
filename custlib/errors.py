"""What can go wrong that a user must be told about, in words they can act on.

Every exception here carries a message meant for people (the CLI prints it, the
app shows it); none of them should ever surface as a stack trace.
"""
from __future__ import annotations


class CustlibError(Exception):
    """Base class: ``str(error)`` is a complete sentence for the user."""


class DatasetNotFound(CustlibError):
    pass


class DatabaseBusy(CustlibError):
    """The DuckDB file is held for writing by another process (usually the running app)."""


class ImportRejected(CustlibError):
    """A file could not be imported; ``report`` says where and why."""

    def __init__(self, message: str, report=None, kind: str = "file_rejected"):
        super().__init__(message)
        self.report = report
        self.kind = kind


class NeedsDecision(CustlibError):
    """The data are ambiguous and guessing could be silently wrong (e.g. 03/04/2024).

    ``choices`` lists the answers the caller may pass back (e.g. ``date_order``).
    """

    def __init__(self, message: str, option: str, choices: list[str]):
        super().__init__(message)
        self.option = option
        self.choices = choices


class AccessConfigError(CustlibError):
    """The access settings (secrets.toml ``[access]`` or CUSTLIB_ACCESS_*) are wrong; the message names the setting.

    The app lets nobody in until they are fixed: a broken configuration never falls back to open access.
    """


class PermissionDenied(CustlibError):
    """The signed-in user's role may not do this (custlib.access.require); nothing was changed."""
