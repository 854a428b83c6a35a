"""What an import found: its problems (each with file, row, column and value), counts and outcome, and the
limits a file must keep (``Limits``, from the environment). The CLI prints an ImportReport; the Data page shows it."""
from __future__ import annotations
import os
from dataclasses import asdict, dataclass, field
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
    kind: str
    severity: str
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def describe(self, file_name: str) -> str:
        where = [file_name]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        shown = f" {self.value!r}:" if self.value is not None else ""
        return f"{', '.join(where)}:{shown} {self.message}"


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
    reason: str | None = None  # why a rejected file was rejected, in the words of its message

    def add(self, problem: Problem, count: int = 1, sample: bool = True) -> None:
        self.counts[problem.kind] = self.counts.get(problem.kind, 0) + count
        self.severities[problem.kind] = problem.severity
        if sample and sum(p.kind == problem.kind for p in self.problems) < MAX_PROBLEMS_PER_KIND:
            self.problems.append(problem)

    @property
    def error_count(self) -> int:
        return sum(n for kind, n in self.counts.items() if self.severities[kind] == ERROR)

    def summary(self) -> str:
        if self.accepted:
            line = (f"Imported {self.rows_loaded:,} of {self.rows_read:,} rows from {self.file_name} "
                    f"into {self.table} of dataset {self.dataset!r}")
            skipped = self.rows_rejected + self.rows_dropped_as_duplicates
            return line + (f"; {skipped:,} skipped (see the report)." if skipped else ".")
        if self.reason:
            return f"Rejected {self.file_name}: {self.reason.rstrip('.')}. The database is unchanged."
        return f"Rejected {self.file_name}: nothing was imported and the database is unchanged."

    def to_text(self) -> str:
        lines = [self.summary()]
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
                lines.append(f"  - {problem.severity}: {problem.describe(self.file_name)}")
            shown = len(self.problems)
            total = sum(self.counts.values())
            if total > shown:
                lines.append(f"  ({total - shown:,} more not listed; at most {MAX_PROBLEMS_PER_KIND} per kind)")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return asdict(self)


def _reject(report: ImportReport, kind: str, message: str, **where) -> ImportRejected:
    report.add(Problem(kind, ERROR, message, **where))
    report.reason = message
    return ImportRejected(f"{report.file_name}: {message}", report)


def _too_many_columns(report: ImportReport, columns: int) -> ImportRejected:
    limit = Limits.from_environment().max_columns
    return _reject(report, "too_many_columns", f"the file has {columns:,} columns, over the limit of {limit:,} "
                   f"(CUSTLIB_MAX_COLUMNS). Export only the columns you need.")
