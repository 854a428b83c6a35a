"""Where the per-customer scores go: stored in DuckDB (``customer_scores``, one set per dataset, replaced on
every run) and written to .csv or .parquet. The table itself is :func:`custlib.customers.customer_table`.
"""
from __future__ import annotations

import pandas as pd

from . import db
from .customers import ScoreResult
from .errors import CustlibError

_TYPES = db.SCORE_COLUMNS


def store_scores(con, dataset_id: int, result: ScoreResult) -> int:
    """Replace the dataset's stored scores with ``result``; all or nothing. Returns the rows stored."""
    frame = result.table.copy()
    with db.write_transaction(con) as cur:
        cur.execute("delete from customer_scores where dataset_id = ?", [int(dataset_id)])
        cur.register("scores_frame", frame)
        try:
            select = ", ".join(f"cast({name} as {kind})" for name, kind in _TYPES.items())
            cur.execute(f"insert into customer_scores (dataset_id, as_of, {', '.join(_TYPES)}) "
                        f"select ?, ?, {select} from scores_frame", [int(dataset_id), result.as_of])
        finally:
            cur.unregister("scores_frame")
    return len(frame)


def readable_table(table: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """The score table as people read it in a file: each reason in words (``lang`` "en" or "zh"), without the
    numbers its words already quote."""
    from . import churn, messages

    frame = table.copy()
    for k in range(1, churn.N_REASONS + 1):
        frame[f"reason_{k}"] = messages.render_column(
            frame[f"reason_{k}"], {"a": frame[f"reason_{k}_a"], "b": frame[f"reason_{k}_b"]}, lang).to_numpy()
        frame = frame.drop(columns=[f"reason_{k}_a", f"reason_{k}_b"])
    return frame


def write_scores(result: ScoreResult, path, lang: str = "en") -> None:
    """Write the score table to .csv (formula-safe text cells) or .parquet, reasons in words (``lang``)."""
    from pathlib import Path

    path = Path(path)
    suffix = path.suffix.lower()
    table = readable_table(result.table, lang)
    if suffix == ".parquet":
        table.to_parquet(path, index=False)
    elif suffix == ".csv":
        from .export import csv_bytes

        path.write_bytes(csv_bytes(table))
    else:
        raise CustlibError(f"--out must end in .csv or .parquet, not {suffix or 'nothing'}.")
