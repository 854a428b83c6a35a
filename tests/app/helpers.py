"""Small readers of AppTest's element tree shared by the page tests."""
from __future__ import annotations


def table(at, column: str):
    """The first table with ``column`` (AppTest finds dataframes by position, not by key)."""
    return next(frame.value for frame in at.dataframe if column in frame.value.columns)


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}
