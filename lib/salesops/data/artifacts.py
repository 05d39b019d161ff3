"""The only code that reads or writes step artifacts, and the hashes and JSON files a run records.

Artifacts are Parquet files in a report's artifacts folder (``<report folder>/data``), written so that the same
frame always gives the same bytes. Their paths are built here only (``artifact_folder``, ``artifact_path``);
what each artifact holds is declared in ``data.catalog``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from salesops.errors import DataError


def file_sha256(path: Path) -> str:
    """The SHA-256 digest of a file's bytes, as 64 hex digits (recorded for inputs and artifacts in manifest.json)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


#: The folder inside a report folder that holds its artifacts.
ARTIFACT_FOLDER = "data"


def artifact_folder(report_folder: Path | str) -> Path:
    """The artifacts folder of a report folder: ``<report_folder>/data``."""
    return Path(report_folder) / ARTIFACT_FOLDER


def artifact_path(folder: Path | str, name: str) -> Path:
    """Where artifact ``name`` lives in an artifacts folder: ``<folder>/<name>.parquet``."""
    return Path(folder) / f"{name}.parquet"


def artifact_files(folder: Path | str) -> list[Path]:
    """The artifact files in ``folder``, sorted by name (none when the folder does not exist)."""
    return sorted(Path(folder).glob("*.parquet"))


def write_artifact(frame: pd.DataFrame, folder: Path, name: str) -> Path:
    """Write ``frame`` to ``folder/name.parquet`` (index dropped; byte-identical for equal frames)."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    path = artifact_path(folder, name)
    frame.reset_index(drop=True).to_parquet(path, index=False, engine="pyarrow", compression="zstd")
    return path


def read_artifact(folder: Path, name: str) -> pd.DataFrame:
    """Read an artifact an earlier step wrote; a clear error when that step has not run."""
    path = artifact_path(folder, name)
    if not path.exists():
        raise DataError(
            f"artifact {path.name} is missing from {folder}: run the step that writes it first "
            "(salesops run runs every step in order)."
        )
    return pd.read_parquet(path)


def read_optional_artifact(folder: Path, name: str) -> pd.DataFrame | None:
    """Artifact ``name`` of ``folder``, or None when it is not there."""
    path = artifact_path(folder, name)
    return pd.read_parquet(path) if path.exists() else None


def write_json(data: dict, path: Path) -> Path:
    """Write JSON with sorted keys and a final newline, so equal data gives equal bytes."""
    Path(path).write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return Path(path)
