"""Customer Value Studio as a server: ``app.py`` behind the upload gate, with the sign-in cookie route.

Run with ``streamlit run serve.py`` (``make run`` does). Streamlit finds ``app`` below and serves it with
uvicorn; the middleware and routes here are what a team server needs and ``streamlit run app.py`` lacks,
so with sign-in configured that bare form refuses to serve (ui/upload_gate.py, ui/password_session.py).
"""
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from ui import password_session
from ui.upload_gate import UploadGate

app = st.App(Path(__file__).with_name("app.py"), middleware=[Middleware(UploadGate)],
             routes=password_session.routes())
