"""docs/architecture.md names only what exists: every dotted ``salesops.…`` name it gives in backticks
imports (a module, or a name in one), and every file or folder path it gives is in the project."""

from __future__ import annotations

import importlib
import re

import pytest

from builders import ROOT

DOC = ROOT / "docs" / "architecture.md"
LIB = ROOT / "lib" / "salesops"
#: Folders at the project's root that a path in the doc may start with; any other path is under lib/salesops.
PROJECT_FOLDERS = ("docs/", "tests/", "notebooks/", "params/", "benchmarks/", "lib/", "reports/")


def code_spans(text: str) -> list[str]:
    return re.findall(r"`([^`\n]+)`", text)


def dotted_names(text: str) -> list[str]:
    return sorted({span for span in code_spans(text) if re.fullmatch(r"salesops(\.\w+)+", span)})


def paths(text: str) -> list[str]:
    """Spans that are a file or folder path: a name ending in .py, .md, .ipynb, .yaml, .j2 or a slash."""
    return sorted({span for span in code_spans(text)
                   if re.fullmatch(r"[\w./<>-]+(\.py|\.md|\.ipynb|\.yaml|\.j2|/)", span) and "<" not in span})


def resolves(dotted: str) -> bool:
    """Whether ``dotted`` is a module, or a module followed by attributes (a class, a function, a method)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            if not hasattr(target, attribute):
                return False
            target = getattr(target, attribute)
        return True
    return False


def exists(path: str) -> bool:
    if path.startswith(PROJECT_FOLDERS):
        return (ROOT / path).exists()
    if "/" not in path.rstrip("/"):  # a bare file name (a notebook, a module named by its package above)
        return any(ROOT.glob(f"**/{path.rstrip('/')}"))
    return (LIB / path).exists()


def test_the_doc_names_modules_and_functions_that_exist():
    names = dotted_names(DOC.read_text(encoding="utf-8"))
    assert len(names) >= 10, "the walk-through names the functions it follows"
    assert [name for name in names if not resolves(name)] == []


def test_the_doc_names_files_that_exist():
    found = paths(DOC.read_text(encoding="utf-8"))
    assert len(found) >= 20
    assert [path for path in found if not exists(path)] == []


@pytest.mark.parametrize("text, ok", [
    ("`salesops.demand.overview.demand_metrics`", True),
    ("`salesops.demand.overview.no_such_function`", False),
    ("`salesops.no_such_package`", False),
])
def test_a_name_that_does_not_exist_is_caught(text, ok):
    assert all(resolves(name) for name in dotted_names(text)) is ok


def test_a_path_that_does_not_exist_is_caught():
    assert exists("data/catalog.py") and exists("docs/architecture.md") and exists("02_demand.ipynb")
    assert not exists("data/no_such_module.py") and not exists("tests/no_such_test.py")
