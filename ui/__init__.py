"""The only Streamlit-aware helpers: state keys, cached data access, sidebar, translations, formatting, theme.

Pages import from here and from ``custlib``; ``custlib`` never imports this package.
"""
