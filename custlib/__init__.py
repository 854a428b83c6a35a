"""Customer Value Studio analytics: pure Python, no Streamlit."""

__version__ = "0.1.0"
