"""Customer Value Studio as a server: ``app.py`` behind the upload gate, with the sign-in cookie route.

Run with ``streamlit run serve.py`` (``make run`` does). Streamlit finds ``app`` below and serves it with
uvicorn; the middleware and routes here are what a team server needs and ``streamlit run app.py`` lacks,
so with sign-in configured that bare form refuses to serve (ui/upload_gate.py, ui/password_session.py).
"""
import signal
import threading
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from ui import password_session
from ui.upload_gate import UploadGate

app = st.App(Path(__file__).with_name("app.py"), middleware=[Middleware(UploadGate)],
             routes=password_session.routes())




def _stop_as_on_ctrl_c(signum, frame):
    signal.raise_signal(signal.SIGINT)


# Served this way (uvicorn), Ctrl+C stops the server gracefully but SIGTERM (`kill`, a service manager's
# stop) killed the process outright, without the exit hooks that remove uploads waiting on disk and the
# relay's contact file. SIGTERM now takes the Ctrl+C path.
if threading.current_thread() is threading.main_thread():
    signal.signal(signal.SIGTERM, _stop_as_on_ctrl_c)
