"""One table's raw rows put together from several files, before the columns are mapped.

* **Joins** (``data.joins``): a left join adds columns of another file to a file's rows, matched on a key
  (``join_file``). The joined file's key must be unique; a row whose key matches nothing gets empty cells; a
  join never changes the rows, their order or their labels.
* **Stacking** (``data.files.<table>`` a list): the files' rows one after the other, the union of their
  columns (a column one file lacks is empty on its rows: ``stack``).
* **Row labels**: a file's rows keep their labels from reading (``files.read_table_file``: label + 2 is the
  spreadsheet row); the rows of the second and later files are offset past those of the file before, so a
  label is unique in the table. A ``RowLocator`` turns a label back into the file and its spreadsheet row,
  for every message that names rows.

Pure functions: inputs are never modified.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesops.contract.schema import TEXT_DTYPE
from salesops.errors import DataError

_SHOW = 5


@dataclass(frozen=True)
class RowLocator:
    """Where a table's rows come from: ``files`` in order, and ``starts``, the first label of each file's rows
    (increasing; a row's spreadsheet row is its label − the file's start + 2)."""

    files: tuple[str, ...]
    starts: tuple[int, ...] = (0,)

    @classmethod
    def single(cls, name: str) -> "RowLocator":
        """One file whose labels are its rows' places (label + 2 is the spreadsheet row)."""
        return cls((name,), (0,))

    @property
    def name(self) -> str:
        """The files, as a message names the table: ``Task.csv + Event.csv``."""
        return " + ".join(self.files)

    def part(self, label) -> int:
        """The position in ``files`` of the file holding the row labelled ``label``."""
        return max(bisect.bisect_right(self.starts, int(label)) - 1, 0)

    def locate(self, label) -> tuple[str, int]:
        """``(file, spreadsheet row)`` of the row labelled ``label``."""
        part = self.part(label)
        return self.files[part], int(label) - self.starts[part] + 2

    def row(self, label) -> int:
        """The spreadsheet row (within its file) of the row labelled ``label``."""
        return self.locate(label)[1]

    def file(self, label) -> str:
        return self.files[self.part(label)]


def stack(parts: list[tuple[str, pd.DataFrame]]) -> tuple[pd.DataFrame, RowLocator]:
    """The rows of ``parts`` (file name, frame with integer row labels ≥ 0) one after the other, columns in
    order of first appearance; a column a part lacks is empty (missing) on its rows. Labels of a part are
    offset by the end of the part before it; the ``RowLocator`` turns them back into file and row."""
    if len(parts) == 1:
        name, frame = parts[0]
        return frame, RowLocator.single(name)
    columns = list(dict.fromkeys(str(c) for _, frame in parts for c in frame.columns))
    frames, starts, start = [], [], 0
    for _, frame in parts:
        missing = {c: pd.Series(pd.NA, index=frame.index, dtype=TEXT_DTYPE) for c in columns if c not in frame}
        frames.append(frame.assign(**missing)[columns].set_axis(frame.index + start, axis=0))
        starts.append(start)
        start += int(frame.index.max()) + 1 if len(frame) else 0
    return pd.concat(frames), RowLocator(tuple(name for name, _ in parts), tuple(starts))


def _keys(values: pd.Series) -> pd.Series:
    """Key cells as text to match on: surrounding spaces removed, an empty cell missing."""
    text = values.astype(TEXT_DTYPE).str.strip()
    return text.mask(text == "", pd.NA)


def join_file(frame: pd.DataFrame, joined: pd.DataFrame, joined_name: str, key: str, file_key: str,
              columns: tuple[str, ...], where: str) -> tuple[pd.DataFrame, int]:
    """``frame`` with ``columns`` of ``joined`` (the file ``joined_name``, labels as read) added: each row takes
    the values of the row of ``joined`` whose ``file_key`` equals the row's ``key`` (text, spaces stripped),
    empty cells when none does. ``where`` names the join in messages (``data.joins.reps[0]``).

    Returns the new frame (same rows, order and labels) and how many of its rows found a match. A ``frame``
    without the ``key`` column gets the columns empty (the caller decides whether that is an error). Raises
    DataError when the joined file lacks ``file_key`` or one of ``columns``, when a joined column is already
    a column of ``frame``, or when a key repeats in the joined file (naming its rows)."""
    absent = [c for c in (file_key, *columns) if c not in joined.columns]
    if absent:
        raise DataError(
            f"{joined_name}: column{'s' if len(absent) > 1 else ''} {', '.join(map(repr, absent))} named in {where} "
            f"missing. Found columns: {', '.join(map(str, joined.columns)) or 'none'}. Fix: correct the names in "
            f"{where} (file_key, columns).")
    clashes = [c for c in columns if c in frame.columns]
    if clashes:
        raise DataError(
            f"{where}: the joined column{'s' if len(clashes) > 1 else ''} {', '.join(map(repr, clashes))} of "
            f"{joined_name} already exist{'s' if len(clashes) == 1 else ''} in the table's file: a join adds columns, "
            f"it never replaces one. Fix: leave {'them' if len(clashes) > 1 else 'it'} out of {where}.columns.")
    keys = _keys(joined[file_key])
    repeated = keys.notna() & keys.duplicated(keep=False)
    if repeated.any():
        rows = [int(label) + 2 for label in joined.index[repeated.to_numpy(bool)]]
        shown = ", ".join(map(str, rows[:_SHOW])) + (f" and {len(rows) - _SHOW:,} more" if len(rows) > _SHOW else "")
        values = ", ".join(repr(v) for v in dict.fromkeys(keys[repeated]))
        raise DataError(
            f"{joined_name}, column '{file_key}': {len(rows):,} rows share a key (rows {shown}; values {values}), so "
            f"{where} cannot tell which row to take. Expected: each {file_key} once in {joined_name}. Fix: remove the "
            "duplicate rows from the export, or join on a column that is unique.")
    if key not in frame.columns:
        empty = {c: pd.Series(pd.NA, index=frame.index, dtype=TEXT_DTYPE) for c in columns}
        return frame.assign(**empty), 0
    lookup = joined.loc[keys.notna().to_numpy(bool), list(columns)].set_axis(keys[keys.notna()].to_numpy(), axis=0)
    wanted = _keys(frame[key])
    found = wanted.isin(lookup.index).to_numpy(bool) & wanted.notna().to_numpy(bool)
    added = {}
    for column in columns:
        values = pd.Series(pd.NA, index=frame.index, dtype=object)
        values[found] = lookup[column].reindex(wanted[found].to_numpy()).to_numpy()
        added[column] = values.astype(joined[column].dtype) if joined[column].dtype == TEXT_DTYPE else values
    return frame.assign(**added), int(np.count_nonzero(found))
