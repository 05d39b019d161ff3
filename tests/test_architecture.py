"""The library's modules meet through public names only: no module imports or uses another module's private
(``_``-prefixed) name. A package's ``__init__`` may re-export its own modules' names."""

from __future__ import annotations

import ast
from pathlib import Path

import salesops

LIB = Path(salesops.__file__).resolve().parent


def _module_name(path: Path) -> str:
    parts = ("salesops", *path.relative_to(LIB).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_uses(source: str, here: str, where: str, is_package: bool = False) -> list[str]:
    """``where:line: what`` for each use, in the ``source`` of module ``here``, of another salesops module's
    private name: ``from x import _name`` and ``module._name`` where ``module`` is a salesops module (or name)
    imported in the file. A package (``is_package``) may import its own modules' private names."""
    tree = ast.parse(source, filename=where)
    found, modules = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "salesops":
            for alias in node.names:
                if _private(alias.name) and not (is_package and node.module.startswith(here + ".")):
                    found.append(f"{where}:{node.lineno}: from {node.module} import {alias.name}")
                elif not _private(alias.name):
                    modules.add(alias.asname or alias.name)  # a module or a name: both checked below
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "salesops":
                    modules.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and _private(node.attr) and isinstance(node.value, ast.Name)
                and node.value.id in modules):
            found.append(f"{where}:{node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_no_module_uses_another_modules_private_names():
    uses = [use for path in sorted(LIB.rglob("*.py"))
            for use in private_uses(path.read_text(encoding="utf-8"), _module_name(path),
                                    f"lib/salesops/{path.relative_to(LIB).as_posix()}", path.name == "__init__.py")]
    assert not uses, ("private names used across modules (make the name public and documented where it belongs, "
                      "e.g. salesops.deals for what steps share about deals):\n" + "\n".join(uses))


def test_the_check_sees_both_forms_and_allows_a_packages_own_reexports():
    source = ("from salesops.collect.kpis import _won_mask\nfrom salesops.collect import kpis\n"
              "from salesops.deals import won_mask\n"
              "x = kpis._ratio(1, 2)\ny = won_mask\nz = self._private\n")
    uses = private_uses(source, "salesops.align.probe", "probe.py")
    assert uses == ["probe.py:1: from salesops.collect.kpis import _won_mask", "probe.py:4: kpis._ratio"]
    reexport = "from salesops.collect.scoring.model import _fit\n"
    assert private_uses(reexport, "salesops.collect.scoring", "__init__.py", is_package=True) == []
    assert private_uses(reexport, "salesops.demand", "__init__.py", is_package=True) == [
        "__init__.py:1: from salesops.collect.scoring.model import _fit"]  # another package's module


#: The layers of lib/salesops, lowest first: a module imports (at run time) only from its own layer or below.
#: Type-only imports (under ``if TYPE_CHECKING:``) do not count: ``Params`` and ``Step`` sit above the steps.
LAYERS = {
    "errors": 0, "paths": 0, "checks": 0, "fiscal_calendar": 0, "formats": 0, "memory": 0,
    "settings": 1, "contract": 2, "deals": 3, "sanity": 3, "data": 4, "report": 5,
    "collect": 6, "demand": 7, "supply": 8, "align": 9, "plan_params": 10, "runner": 11,
}
#: The one planned exception: step 1's review of last quarter's plan reads what steps 2 and 3 wrote then, in
#: their words (scenarios, method labels, supporting roles).
UPWARD_ALLOWED = {("collect/plan_review.py", "demand"), ("collect/plan_review.py", "supply")}


def upward_imports(source: str, layer: str, where: str) -> list[tuple[str, str, int]]:
    """``(where, imported part, line)`` for each run-time import of a salesops part above ``layer``."""
    tree = ast.parse(source, filename=where)
    type_only = {id(inner) for node in ast.walk(tree)
                 if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
                 for inner in ast.walk(node)}
    found = []
    for node in ast.walk(tree):
        if id(node) in type_only or not (isinstance(node, ast.ImportFrom) and node.module
                                         and node.module.split(".")[0] == "salesops"):
            continue
        parts = ([alias.name for alias in node.names] if node.module == "salesops"
                 else [node.module.split(".")[1]])
        found += [(where, part, node.lineno) for part in parts
                  if part in LAYERS and LAYERS[part] > LAYERS[layer]]
    return found


def test_every_part_of_the_library_has_a_layer():
    parts = {path.relative_to(LIB).parts[0].removesuffix(".py") for path in LIB.glob("*")
             if path.name not in ("__init__.py", "__main__.py", "__pycache__", "templates")}
    assert parts == set(LAYERS)


def test_no_module_imports_from_a_layer_above_its_own():
    found = []
    for path in sorted(LIB.rglob("*.py")):
        relative = path.relative_to(LIB)
        layer = relative.parts[0].removesuffix(".py")
        if layer in LAYERS:
            found += [f"{where}:{line} imports salesops.{part}"
                      for where, part, line in upward_imports(path.read_text(encoding="utf-8"), layer, str(relative))
                      if (where, part) not in UPWARD_ALLOWED]
    assert found == []


def test_the_layer_check_sees_run_time_imports_and_skips_type_only_ones():
    source = ("from typing import TYPE_CHECKING\nfrom salesops import runner\nfrom salesops.align.quotas import x\n"
              "if TYPE_CHECKING:\n    from salesops.plan_params import Params\n")
    assert upward_imports(source, "contract", "m.py") == [("m.py", "runner", 2), ("m.py", "align", 3)]
