"""The test run itself: it writes only inside the work tree, and fails when something is left behind."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEST_OUTPUT = REPO / "test-output"      # as tests/conftest.py sets it up
SCRATCH = TEST_OUTPUT / "tmp"


def test_temporary_folders_are_inside_the_work_tree(tmp_path):
    assert Path(tempfile.gettempdir()) == SCRATCH and os.environ["TMPDIR"] == str(SCRATCH)
    assert tmp_path.is_relative_to(TEST_OUTPUT / "pytest")


def run_inner(folder: Path, test_body: str) -> subprocess.CompletedProcess:
    (folder / "tests").mkdir(parents=True)
    shutil.copy(REPO / "tests" / "conftest.py", folder / "tests" / "conftest.py")
    (folder / "tests" / "test_inner.py").write_text(test_body)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("TMPDIR")
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=folder,
                          env=env, capture_output=True, text=True, timeout=120)


def test_a_run_that_leaves_a_temporary_file_fails(tmp_path):
    clean = run_inner(tmp_path / "clean", "import tempfile\n"
                      "def test_tidy():\n    with tempfile.TemporaryDirectory():\n        pass\n")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    messy = run_inner(tmp_path / "messy", "import tempfile\n"
                      "def test_leaks():\n    tempfile.mkdtemp(prefix='cvs-upload-')\n")
    assert messy.returncode == 1, messy.stdout + messy.stderr
    assert "1 passed" in messy.stdout and "left 1 file(s) in its temporary folder" in messy.stderr
    assert "cvs-upload-" in messy.stderr
