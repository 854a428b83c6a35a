"""Does a query's result still have the columns its contract declares?

Every mart declares its columns, in order, next to the code that reads it (house habit 3). A result
whose columns differ means the SQL drifted from the contract; reading it anyway would put the wrong
numbers under the right names, so it fails loudly instead.
"""
from __future__ import annotations

import pandas as pd

from .errors import ContractDrift


def checked(frame: pd.DataFrame, contract: tuple[str, ...], name: str) -> pd.DataFrame:
    """``frame`` if its columns are exactly the declared contract, else a loud error (SQL drift)."""
    if tuple(frame.columns) != contract:
        raise ContractDrift(f"{name} returned columns {list(frame.columns)}, but its contract is {list(contract)}")
    return frame
