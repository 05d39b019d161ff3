"""Every path the workbook uses, derived from one project root.

The root is the folder holding ``pyproject.toml`` and ``notebooks/``: the ``SALESOPS_ROOT``
environment variable when set, else the checkout this package was installed from (editable
install), else the current working directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def find_root() -> Path:
    env_root = os.environ.get("SALESOPS_ROOT")
    if env_root:
        return Path(env_root).resolve()
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").exists() and (checkout / "notebooks").is_dir():
        return checkout
    return Path.cwd().resolve()


@dataclass(frozen=True)
class ProjectPaths:
    root: Path

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def params(self) -> Path:
        return self.root / "params"

    @property
    def defaults(self) -> Path:
        return self.params / "defaults.yaml"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def sample_cache(self) -> Path:
        return self.root / ".cache" / "sample"

    def quarter_params(self, quarter: str) -> Path:
        return self.params / f"{quarter}.yaml"

    def report_dir(self, quarter: str) -> Path:
        return self.reports / quarter

    def failed_report_dir(self, quarter: str) -> Path:
        return self.reports / f"{quarter}.failed"

    def step_notebooks(self) -> list[Path]:
        """The step notebooks ``NN_name.ipynb`` in run order."""
        return sorted(p for p in self.notebooks.glob("[0-9][0-9]_*.ipynb"))


def project_paths(root: Path | str | None = None) -> ProjectPaths:
    return ProjectPaths(Path(root).resolve() if root else find_root())
