"""Is a frame the customer-features frame the segment rules read? If not, say which columns are missing."""
from __future__ import annotations

import pandas as pd


def require_columns(frame: pd.DataFrame, columns) -> None:
    """Nothing when ``frame`` has every one of ``columns``, else a ValueError naming the missing ones."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"missing columns {missing}: pass the frame from custlib.features.customer_features")
