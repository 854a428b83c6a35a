"""What an import found: its problems (each with file, row, column and value), counts and outcome, and the
limits a file must keep (``Limits``, from the environment). The CLI prints an ImportReport; the Data page shows it."""
from __future__ import annotations
import os
from dataclasses import asdict, dataclass, field

from .. import messages
from ..errors import ImportRejected


MAX_PROBLEMS_PER_KIND = 20


@dataclass(frozen=True)
class Limits:
    """What one import may be; set with CUSTLIB_MAX_UPLOAD_MB, CUSTLIB_MAX_ROWS, CUSTLIB_MAX_COLUMNS,
    CUSTLIB_MAX_XLSX_CELLS."""
    max_bytes: int = 2048 << 20
    max_rows: int = 50_000_000
    max_columns: int = 500
    # A sheet's rectangle (last row x last column) is built in memory: 10M cells (a million rows of ten
    # columns) take about 1.5 GB while read. Larger tables go faster and leaner as CSV.
    max_xlsx_cells: int = 10_000_000

    @classmethod
    def from_environment(cls) -> "Limits":
        def number(name: str, default: int) -> int:
            text = os.environ.get(name, "").strip()
            return int(text) if text.isdigit() and int(text) > 0 else default
        return cls(max_bytes=number("CUSTLIB_MAX_UPLOAD_MB", cls.max_bytes >> 20) << 20,
                   max_rows=number("CUSTLIB_MAX_ROWS", cls.max_rows),
                   max_columns=number("CUSTLIB_MAX_COLUMNS", cls.max_columns),
                   max_xlsx_cells=number("CUSTLIB_MAX_XLSX_CELLS", cls.max_xlsx_cells))


ERROR, WARNING, INFO = "error", "warning", "info"


@dataclass
class Problem:
    """One finding: its kind (what the counts are by), severity, where it is, and its words as a message code
    with parameters (custlib.messages), so the CLI and the Data page can say it in English or Chinese."""
    kind: str
    severity: str
    code: str
    params: dict = field(default_factory=dict)
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def text(self, lang: str = "en") -> str:
        return messages.render(self.code, self.params, lang)

    @property
    def message(self) -> str:
        return self.text("en")

    def describe(self, file_name: str, lang: str = "en") -> str:
        where = [file_name]
        if self.row is not None:
            where.append(messages.render("where_row", {"row": self.row}, lang))
        if self.column is not None:
            where.append(messages.render("where_column", {"column": self.column}, lang))
        shown = f" {self.value!r}:" if self.value is not None else ""
        return f"{', '.join(where)}:{shown} {self.text(lang)}"


@dataclass
class ImportReport:
    """What an import read, stored and found wrong; printed by the CLI, shown by the Data page."""
    file_name: str
    table: str
    dataset: str | None = None
    file_format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    has_header: bool | None = None
    columns: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_dropped_as_duplicates: int = 0
    strict: bool = False
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    severities: dict[str, str] = field(default_factory=dict)
    sha256: str | None = None
    stored_path: str | None = None
    dataset_version: int | None = None
    accepted: bool = False
    rejection: Problem | None = None  # why a rejected file was rejected

    def add(self, problem: Problem, count: int = 1, sample: bool = True) -> None:
        self.counts[problem.kind] = self.counts.get(problem.kind, 0) + count
        self.severities[problem.kind] = problem.severity
        if sample and sum(p.kind == problem.kind for p in self.problems) < MAX_PROBLEMS_PER_KIND:
            self.problems.append(problem)

    @property
    def error_count(self) -> int:
        return sum(n for kind, n in self.counts.items() if self.severities[kind] == ERROR)

    @property
    def reason(self) -> str | None:
        """Why a rejected file was rejected, in English (None when it was not)."""
        return self.rejection.text() if self.rejection is not None else None

    def summary(self, lang: str = "en") -> str:
        if self.accepted:
            skipped = self.rows_rejected + self.rows_dropped_as_duplicates
            return messages.render("import_summary_skipped" if skipped else "import_summary_accepted", {
                "loaded": f"{self.rows_loaded:,}", "read": f"{self.rows_read:,}", "file": self.file_name,
                "table": self.table, "dataset": self.dataset, "skipped": f"{skipped:,}"}, lang)
        if self.rejection is not None:
            reason = self.rejection.text(lang).rstrip(".。")
            return messages.render("import_summary_rejected", {"file": self.file_name, "reason": reason}, lang)
        return messages.render("import_summary_rejected_plain", {"file": self.file_name}, lang)

    def to_text(self, lang: str = "en") -> str:
        """The report for a terminal; the findings in ``lang`` (the details of how the file was read in English)."""
        lines = [self.summary(lang)]
        details = []
        if self.file_format:
            details.append(self.file_format)
        if self.encoding:
            details.append(f"encoding {self.encoding}")
        if self.delimiter:
            details.append({",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe",
                            " ": "whitespace"}.get(self.delimiter, repr(self.delimiter)) + "-separated")
        if self.has_header is not None:
            details.append("header on row 1" if self.has_header else "no header row")
        if details:
            lines.append("Read as " + ", ".join(details) + ".")
        if self.mapping:
            lines.append("Columns: " + ", ".join(f"{f} <- {c!r}" for f, c in self.mapping.items()) + ".")
        if self.formats:
            lines.append("Formats: " + "; ".join(f"{k}: {v}" for k, v in self.formats.items()) + ".")
        if self.counts:
            lines.append("Problems by kind:")
            for kind, count in sorted(self.counts.items(), key=lambda kv: (self.severities[kv[0]] != ERROR, kv[0])):
                lines.append(f"  {self.severities[kind]:<7} {kind}: {count:,}")
            for problem in self.problems:
                lines.append(f"  - {problem.severity}: {problem.describe(self.file_name, lang)}")
            shown = len(self.problems)
            total = sum(self.counts.values())
            if total > shown:
                lines.append(f"  ({total - shown:,} more not listed; at most {MAX_PROBLEMS_PER_KIND} per kind)")
        return "\n".join(lines)

    def to_dict(self, lang: str = "en") -> dict:
        """Everything as plain data; each problem (and the rejection) also carries its words in ``lang``."""
        data = asdict(self)
        for problem, plain in zip(self.problems, data["problems"]):
            plain["message"] = problem.text(lang)
        if self.rejection is not None:
            data["rejection"]["message"] = self.rejection.text(lang)
        data["reason"] = self.rejection.text(lang) if self.rejection is not None else None
        return data


def _reject(report: ImportReport, kind: str, code: str, params: dict | None = None, listed: bool = True,
            **where) -> ImportRejected:
    """Refuse the file: the finding goes into the report (as a problem too unless ``listed`` is False: a
    verdict on problems already listed), and the exception carries the report."""
    problem = Problem(kind, ERROR, "import_" + code, params or {}, **where)
    if listed:
        report.add(problem)
    report.rejection = problem
    return ImportRejected(report=report, kind=kind, code=problem.code, params=problem.params,
                          prefix=report.file_name)


def _too_many_columns(report: ImportReport, columns: int) -> ImportRejected:
    limit = Limits.from_environment().max_columns
    return _reject(report, "too_many_columns", "too_many_columns", {"columns": f"{columns:,}", "limit": f"{limit:,}"})
