"""Customer Value Studio analytics: pure Python, no Streamlit."""
from . import audit, db

__version__ = "0.1.0"

# A database opened for writing gains the audit log's table and seals the log's older entries in the
# schema's transaction, but db cannot import audit to do it (audit writes through db). So the hook is
# registered here, which every import of custlib runs first: no program can open a database without it.
db.extend_schema(audit.ensure_audit_schema)
