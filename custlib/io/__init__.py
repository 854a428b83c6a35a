"""Reading and validating uploaded files: what a file holds, what is wrong with it and where.

``import_file`` takes a CSV/TSV/whitespace-separated text file (UTF-8, UTF-8 with BOM,
UTF-16 with BOM, GBK/GB18030), an Excel ``.xlsx`` workbook or a Parquet file and
loads it into one table of a dataset, all or nothing:

1. sniff the format, encoding, delimiter and header (``sources``, ``text``, ``workbook``, ``parquet``;
   GBK text is transcoded to a temporary UTF-8 file in chunks, a workbook is measured as its XML
   streams; nothing is loaded whole into pandas before it is known to fit);
2. map columns to fields (automatic guess from English and Chinese headers, overridable: custlib.columns);
3. read every value as text with DuckDB's own readers, parse dates and amounts in SQL with formats
   detected from a sample, and flag every value that fails, in one parallel pass into temp tables of
   the import's own cursor, without the write lock (``staging``); find duplicates and order-id
   conflicts (``checks``);
4. in one transaction: insert the good rows, record the import (and the kept upload: ``uploads``),
   write the audit entry and bump the dataset version (``imports``). Any rejection leaves the
   database as it was; ``report`` holds what was found.

Rows are numbered as a spreadsheet shows them: with a header, the header is row 1
and the first data row is row 2.
"""
from __future__ import annotations

from ..errors import CustlibError
from .files import TEMP_PREFIX
from .imports import import_file, preview_file
from .report import ImportReport, Limits, Problem
from .sources import open_source
from .staging import MAX_ABS_AMOUNT
from .uploads import sweep_leftovers

__all__ = ["ImportReport", "Problem", "Limits", "import_file", "preview_file", "open_source", "sweep_leftovers",
           "TEMP_PREFIX", "MAX_ABS_AMOUNT", "CustlibError"]
