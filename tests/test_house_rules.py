"""House rules that keep the code base honest: custlib is Streamlit-free, and every named query is used."""
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CUSTLIB = REPO / "custlib"


def test_custlib_never_imports_streamlit():
    modules = sorted(".".join(p.relative_to(CUSTLIB).with_suffix("").parts) for p in CUSTLIB.rglob("*.py")
                     if p.stem not in ("__init__", "__main__"))
    assert "io.workbook" in modules and "cli" in modules  # the packages' modules are checked too
    code = ("import importlib, sys\n"
            f"for name in {modules!r}:\n    importlib.import_module('custlib.' + name)\n"
            "print('streamlit' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_every_named_query_is_used_and_ends_in_final():
    sources = "\n".join(p.read_text(encoding="utf-8") for folder in ("custlib", "ui", "pages")
                        for p in (REPO / folder).rglob("*.py"))
    for sql in sorted((CUSTLIB / "sql").rglob("*.sql")):
        if sql.stem.split("_")[0] in ("stg", "int"):
            continue  # views: made by db.connect, read by the marts (tests/test_sql_layers.py)
        assert f'"{sql.stem}"' in sources, f"{sql.name} is not used by any module"
        text = sql.read_text(encoding="utf-8").lower()
        assert "final as (" in text and "select * from final" in text, f"{sql.name} should end in `select * from final`"


def test_a_clone_needs_nothing_beside_it():
    """Nothing the project runs or documents reads the shared folder beside the checkout (a person who clones
    it has none), and the CDNOW sample the tests and the README's example use is in the repository."""
    tracked = subprocess.run(["git", "ls-files", "-z"], capture_output=True, cwd=REPO, check=True).stdout
    sibling = "../" + "shared"  # spelt in two pieces so that this file does not name it itself
    readers = []
    for name in tracked.decode().split("\0"):
        path = REPO / name
        if name and path.is_file() and path.suffix in (".py", ".md", ".toml", ".ini", ".txt", ".cfg", ""):
            text = path.read_text(encoding="utf-8", errors="ignore")
            if sibling in text or sibling[3:] + "/data" in text:
                readers.append(name)
    assert readers == []
    sample = REPO / "data" / "samples" / "cdnow"
    assert (sample / "CDNOW_sample.txt").read_text().count("\n") == 6919
    assert (sample / "cdnow_customers_summary.csv").is_file() and (sample / "README.md").is_file()
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "custlib import data/samples/cdnow/CDNOW_sample.txt" in readme


def test_every_public_custlib_function_has_a_caller_outside_the_tests():
    """Dead code goes (issue 15, item 7): each public top-level function and class of custlib is named by the
    product itself (custlib, ui, pages, app.py, serve.py or bench/), not only by tests. A package's
    re-exports and ``__all__`` do not count as a use."""
    import ast
    import re

    def without_reexports(path: Path, text: str) -> str:
        if path.name != "__init__.py":
            return text
        text = re.sub(r"__all__\s*=\s*[\[(].*?[\])]", "", text, flags=re.S)
        return re.sub(r"^from \.[\w.]* import (\([^)]*\)|.*)$", "", text, flags=re.M)

    product = [p for folder in ("custlib", "ui", "pages", "bench") for p in (REPO / folder).rglob("*.py")]
    product += [REPO / "app.py", REPO / "serve.py"]
    texts = {p: without_reexports(p, p.read_text(encoding="utf-8")) for p in product}
    unused = []
    for path in sorted(CUSTLIB.rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
                name = re.compile(rf"\b{node.name}\b")
                uses = sum(len(name.findall(text)) - (other == path) for other, text in texts.items())
                if uses <= 0:
                    unused.append(f"{path.relative_to(REPO)}: {node.name}")
    assert len(texts) > 60
    assert unused == [], "public functions no product code calls (remove them, or give them a caller)"
