"""A file opened for import (``Source``) and what every kind of file shares: its checksum, its header row,
and private temporary folders named by the process (so a killed import's are known and swept)."""
from __future__ import annotations
import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
import pandas as pd

from .report import ImportReport, Problem, WARNING


CHUNK_BYTES = 4 << 20


SNIFF_BYTES = 256 << 10


TEMP_PREFIX = "custlib-import-"  # + pid: see sweep_leftovers


@dataclass
class Source:
    """A file opened for import: where its UTF-8 text (or workbook frame) is and how to read it."""
    path: Path
    file_format: str            # "text", "xlsx", "parquet"
    encoding: str | None = None
    text_path: Path | None = None
    delimiter: str | None = None  # None with text = single column; " " = runs of whitespace
    has_header: bool = True
    headers: list[str] = field(default_factory=list)
    frame: pd.DataFrame | None = None
    sha256: str | None = None
    temp_dir: Path | None = None
    lines: int | None = None    # line feeds in the text, plus one for a last line without one

    def close(self) -> None:
        if self.temp_dir is not None:
            shutil.rmtree(self.temp_dir, ignore_errors=True)


def _report_repeated_headers(headers: list[str], report: ImportReport) -> None:
    """A header name used twice (renamed ``name (2)`` here): a warning, since a mapping by name takes the first."""
    for number, header in enumerate(headers, 1):
        match = re.fullmatch(r"(.*) \((\d+)\)", header)
        if match and match.group(1) in headers:
            first = headers.index(match.group(1)) + 1
            report.add(Problem("repeated_header", WARNING, "import_repeated_header",
                               {"header": match.group(1), "first": first, "number": number, "renamed": header},
                               column=header))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


_NUMBERISH = re.compile(r"^[\s¥￥$€£+\-(),.\d]+$")


def _looks_like_header(row: list[str]) -> bool:
    """A header names columns: no field of it is a number or a date."""
    for value in row:
        text = value.strip()
        if not text:
            continue
        if _NUMBERISH.match(text) or re.match(r"^\d{1,4}[-/.年]\d{1,2}[-/.月]\d{1,4}", text):
            return False
    return True


def _unique_headers(row: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    headers = []
    for i, value in enumerate(row):
        name = value.strip().lstrip("\ufeff") or f"column {i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        headers.append(name)
    return headers


def _temp_dir(kind: str) -> Path:
    """A private temporary folder named by this process, so that one left by a killed import is known."""
    return Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-{kind}-"))
