"""The project's own promises: conda and pip name the same dependencies; committed notebooks carry no
outputs, define no functions or classes and have a parameters cell; docs/data.md matches the schema."""

from __future__ import annotations

import re
import tomllib

import nbformat
import pytest
import yaml

from salesops.contract import schema
from salesops.contract.docs import data_contract_markdown

from builders import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _normalise(requirement: str) -> str:
    """Name and version range, without spaces or pip extras (conda packages carry no extras)."""
    return re.sub(r"\[[^\]]*\]", "", re.sub(r"\s+", "", requirement)).lower()


def _requirements_pyproject() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + project["optional-dependencies"]["test"]
    return {_normalise(r) for r in requirements}


def _requirements_conda() -> set[str]:
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    plain = [d for d in environment["dependencies"] if isinstance(d, str) and not d.startswith(("python", "pip"))]
    return {_normalise(d) for d in plain}


def test_environment_yml_matches_pyproject():
    assert _requirements_conda() == _requirements_pyproject()
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in environment["channels"]
    pip = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict) and "pip" in d)
    # the project itself, then the benchmarks extra (installed by pip: not a runtime dependency)
    benchmarks = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["benchmarks"]
    assert pip[0] == "-e ." and {_normalise(r) for r in pip[1:]} == {_normalise(r) for r in benchmarks}


def test_every_dependency_has_a_bounded_range():
    benchmarks = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["benchmarks"]
    for requirement in _requirements_pyproject() | set(benchmarks):
        assert ">=" in requirement and "<" in requirement, f"{requirement} needs a lower and an upper bound"


def test_there_are_step_notebooks():
    assert [p.name for p in NOTEBOOKS][:2] == ["01_collect.ipynb", "02_demand.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_is_clean(path):
    notebook = nbformat.read(path, as_version=4)
    code_cells = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code_cells), "clear the outputs before committing"
    assert not [c for c in code_cells if re.search(r"^\s*(def|class)\s", c.source, re.M)], "logic belongs in lib"
    parameters = [c for c in code_cells if "parameters" in c.metadata.get("tags", [])]
    assert len(parameters) == 1
    assert notebook.metadata.kernelspec.name == "salesops"


def test_docs_data_md_matches_schema():
    text = (ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    assert data_contract_markdown() in text, "regenerate: python -m salesops.contract.docs > docs/data.md"
    for spec in schema.TABLES.values():
        for column in spec.columns:
            assert f"`{column.name}`" in text
