"""The only code that reads or writes step artifacts, and the hashes and JSON files a run records.

Artifacts are Parquet files in a step output folder, written so that the same frame always gives the
same bytes.
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


def write_artifact(frame: pd.DataFrame, folder: Path, name: str) -> Path:
    """Write ``frame`` to ``folder/name.parquet`` (index dropped; byte-identical for equal frames)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.parquet"
    frame.reset_index(drop=True).to_parquet(path, index=False, engine="pyarrow", compression="zstd")
    return path


def read_artifact(folder: Path, name: str) -> pd.DataFrame:
    """Read an artifact an earlier step wrote; a clear error when that step has not run."""
    path = Path(folder) / f"{name}.parquet"
    if not path.exists():
        raise DataError(
            f"artifact {path.name} is missing from {folder}: run the step that writes it first "
            "(salesops run runs every step in order)."
        )
    return pd.read_parquet(path)


def write_json(data: dict, path: Path) -> Path:
    """Write JSON with sorted keys and a final newline, so equal data gives equal bytes."""
    Path(path).write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return Path(path)
