"""How long "this quarter" is: the simulator's short term, in months and in days."""
from __future__ import annotations

from .. import clv

QUARTER_MONTHS = 3
DAYS_PER_QUARTER = 3 * clv.DAYS_PER_MONTH
