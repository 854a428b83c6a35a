"""Files we hand to spreadsheets and campaign tools: CSV that Excel reads right and cannot be tricked by.

A cell that starts with = + - @ (or a tab or carriage return) would run as a formula when the file is
opened in a spreadsheet ("CSV injection", OWASP): such text cells get a leading single quote and stay
text. Numbers are written as numbers, so a negative amount stays a number. The byte-order mark makes
Excel read Chinese names correctly.
"""
from __future__ import annotations

import io

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value):
    """A text value a spreadsheet would run as a formula, made inert with a leading ``'``; others unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_bytes(frame: pd.DataFrame, index: bool = False) -> bytes:
    """``frame`` as UTF-8 CSV with a byte-order mark; text cells, headers and index labels neutralised."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise_cell)
    safe.columns = [neutralise_cell(str(c)) for c in safe.columns]
    if index:
        safe.index = safe.index.map(neutralise_cell)
        if isinstance(safe.index.name, str):
            safe.index.name = neutralise_cell(safe.index.name)
    buffer = io.StringIO()
    safe.to_csv(buffer, index=index, lineterminator="\n")
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
