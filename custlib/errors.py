"""What can go wrong that a user must be told about, in words they can act on.

Every exception here carries a message meant for people (the CLI prints it, the
app shows it); none of them should ever surface as a stack trace. An error raised with a ``code``
(custlib.messages) and its ``params`` can be said in Chinese too: ``error.text("zh")``.
"""
from __future__ import annotations


class CustlibError(Exception):
    """Base class: ``str(error)`` is a complete sentence for the user (English).

    ``code``/``params``: the same sentence as a custlib.messages code, for the languages it is written in;
    ``prefix``: what the sentence is about (a file name), put before it in every language.
    """

    def __init__(self, message: str | None = None, *, code: str | None = None, params: dict | None = None,
                 prefix: str | None = None):
        from . import messages  # words only: no model or data module

        self.code, self.params, self.prefix = code, dict(params or {}), prefix
        if message is None:
            message = messages.render(code, self.params)
            message = f"{prefix}: {message}" if prefix else message
        super().__init__(message)

    def text(self, lang: str = "en") -> str:
        """The sentence in ``lang``; errors not yet given a code are in English."""
        from . import messages

        if self.code is None:
            return str(self)
        words = messages.render(self.code, self.params, lang)
        return f"{self.prefix}: {words}" if self.prefix else words


class DatasetNotFound(CustlibError):
    pass


class DatabaseBusy(CustlibError):
    """The DuckDB file is held for writing by another process (usually the running app)."""


class ImportRejected(CustlibError):
    """A file could not be imported; ``report`` says where and why."""

    def __init__(self, message: str | None = None, report=None, kind: str = "file_rejected", **words):
        super().__init__(message, **words)
        self.report = report
        self.kind = kind


class NeedsDecision(CustlibError):
    """The data are ambiguous and guessing could be silently wrong (e.g. 03/04/2024).

    ``choices`` lists the answers the caller may pass back (e.g. ``date_order``).
    """

    def __init__(self, message: str | None, option: str, choices: list[str], **words):
        super().__init__(message, **words)
        self.option = option
        self.choices = choices


class AccessConfigError(CustlibError):
    """The access settings (secrets.toml ``[access]`` or CUSTLIB_ACCESS_*) are wrong; the message names the setting.

    The app lets nobody in until they are fixed: a broken configuration never falls back to open access.
    """


class PermissionDenied(CustlibError):
    """The signed-in user's role may not do this (custlib.access.require); nothing was changed."""


class InvalidSummary(CustlibError, ValueError):
    """A customer summary breaks a rule the models rely on; the message names the rule."""


class FitFailed(CustlibError):
    """The likelihood could not be maximised (no finite optimum): the data do not support the model."""


class ContractDrift(CustlibError, RuntimeError):
    """A named query answered with other columns than its contract declares: a bug in custlib, said as one
    (reading on would put the wrong numbers under the right names)."""
