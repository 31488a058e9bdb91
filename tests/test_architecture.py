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


def imported_apps(path: Path) -> list[tuple[int, str]]:
    """(line, app) for every import in a module that names one of our apps."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
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


def test_the_check_sees_a_wrong_arrow(tmp_path):
    """The reader finds both import forms, so the rule above can fail."""
    module = tmp_path / "bad.py"
    module.write_text("import reports.queries\nfrom surveys.models import Survey\nfrom . import x\n")
    assert imported_apps(module) == [(1, "reports"), (2, "surveys")]
