"""The rooms keep their one-way doors (DESIGN.md, Layout).

`perception` is the ground floor and imports no app; `surveys` and `conversations` are
the two voices and never import `reports` (nor each other); `reports` reads them. The
check reads every module's import statements, so a new arrow pointing the wrong way
fails here, with the file and line that added it.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("perception", "surveys", "conversations", "reports")

# Which app may import which: every other pair is forbidden.
ALLOWED = {
    "perception": set(),
    "surveys": {"perception"},
    "conversations": {"perception"},
    "reports": {"perception", "surveys", "conversations"},
}


# Inside reports, only the bridge reads the two voices' models (and the demo, which
# seeds every app by design); other modules may name their types for hints only.
BRIDGES = {"reports/queries.py", "reports/demo.py", "reports/management/commands/demo.py"}


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of import nodes inside `if TYPE_CHECKING:` blocks (never run)."""
    inside = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            inside |= {id(child) for statement in node.body for child in ast.walk(statement)}
    return inside


def imported_apps(path: Path, runtime_only: bool = False) -> list[tuple[int, str]]:
    """(line, app) for every import in a module that names one of our apps; with
    ``runtime_only``, not those under `if TYPE_CHECKING:`."""
    tree = ast.parse(path.read_text(), filename=str(path))
    skipped = _type_checking_nodes(tree) if runtime_only else set()
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [(node.lineno, name.split(".")[0]) for name in names if name.split(".")[0] in APPS]
    return found


def modules(app: str) -> list[Path]:
    return sorted((ROOT / app).rglob("*.py"))


@pytest.mark.parametrize("app", APPS)
def test_imports_point_one_way(app):
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {other}"
        for path in modules(app)
        for line, other in imported_apps(path)
        if other != app and other not in ALLOWED[app]
    ]
    assert wrong == []


def test_reports_reads_the_voices_only_through_queries():
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {other}"
        for path in modules("reports")
        if str(path.relative_to(ROOT)) not in BRIDGES
        for line, other in imported_apps(path, runtime_only=True)
        if other in {"surveys", "conversations"}
    ]
    assert wrong == [], "read through reports/queries.py"


def test_the_check_sees_a_wrong_arrow(tmp_path):
    """The reader finds both import forms, so the rule above can fail."""
    module = tmp_path / "bad.py"
    module.write_text("import reports.queries\nfrom surveys.models import Survey\nfrom . import x\n")
    assert imported_apps(module) == [(1, "reports"), (2, "surveys")]
    hinted = tmp_path / "hinted.py"
    hinted.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from surveys.models import Survey\n"
    )
    assert imported_apps(hinted) == [(3, "surveys")]
    assert imported_apps(hinted, runtime_only=True) == []
