"""One row per key from a file whose key repeats (``data.collapse``): a deals file feeding the accounts table too.

An export without an accounts file often carries each account's attributes on every deal (region, industry).
Named in ``data.collapse``, a table may be read from such a file: its rows (already mapped onto canonical
names) collapse to one per key, and a column keeps, per key, its **most frequent value** among the key's rows
(empty cells not counted; ties: the first in alphabetical order). Values are compared as written in the file.
Rows without a key are left out (a deal without an account names no account). Only the table's canonical
columns are kept: the file's other columns describe its rows (deals), not the collapsed ones (accounts).

Each collapse is recorded as adjustment rows (``derive.ADJUSTMENT_COLUMNS``): one for the collapse itself, and
one per column on which some key's rows disagree, with examples. Inputs are never modified.
"""

from __future__ import annotations

import pandas as pd

from salesops.contract import schema
from salesops.errors import DataError

_EXAMPLES = 3


def collapse_rows(frame: pd.DataFrame, spec: schema.TableSpec, source: str) -> tuple[pd.DataFrame, list[tuple]]:
    """``frame`` (the mapped rows of ``source``) collapsed to one row per key of ``spec`` (see the module
    docstring). Each kept row has the label of its key's first row, so a problem with it names that row.

    Returns the collapsed frame and the adjustment rows ``(table, column, rule, rows, detail)``. Raises
    DataError when the table has no single-column key or the key column is not mapped."""
    if len(spec.primary_key) != 1:
        raise DataError(f"data.collapse names {spec.name}, whose rows have no single-column key: only a table with "
                        "one key column (accounts, reps, products ...) can be collapsed. Fix: remove it from "
                        "data.collapse.")
    key = spec.primary_key[0]
    if key not in frame.columns:
        raise DataError(f"{source}: data.collapse names {spec.name}, but no column of the file is mapped onto its key "
                        f"{key!r}. Fix: map the column that holds the {key} under data.columns.{spec.name}.")
    columns = [c for c in spec.column_names if c in frame.columns]
    text = frame[columns].astype("string").apply(lambda s: s.str.strip()).replace("", pd.NA)
    keyed = text[text[key].notna()]
    first = keyed.drop_duplicates(key)
    out = frame.loc[first.index, columns].copy()
    noun = spec.name.replace("_", " ")

    def count(n: int, what: str = noun) -> str:
        return f"{n:,} {what if n != 1 else what[:-1]}"

    left_out = len(text) - len(keyed)
    adjustments = [(spec.name, key, "rows_collapsed", len(first),
                    f"{spec.name} read from {source}: its {count(len(frame), 'rows')} collapsed to {count(len(first))}, "
                    f"one per {key}" + (f" ({count(left_out, 'rows')} with no {key} left out)" if left_out else ""))]
    keys = first[key]
    for column in columns:
        if column == key:
            continue
        pairs = keyed[[key, column]].dropna()
        if pairs.empty:
            continue
        counts = pairs.groupby([key, column]).size().rename("n").reset_index()
        ranked = counts.sort_values([key, "n", column], ascending=[True, False, True], kind="stable")
        chosen = ranked.drop_duplicates(key).set_index(key)[column]
        out[column] = keys.map(chosen).to_numpy()
        disagree = counts.groupby(key).size()
        disagree = disagree[disagree > 1]
        if len(disagree):
            examples = []
            for value in list(disagree.index)[:_EXAMPLES]:
                seen = ranked[ranked[key] == value]
                examples.append(f"{value}: " + ", ".join(f"{v} ×{n}" for v, n in zip(seen[column], seen["n"]))
                                + f" → {chosen[value]}")
            adjustments.append((spec.name, column, "collapsed_values_disagree", len(disagree),
                                f"{count(len(disagree))} whose rows in {source} disagree on {column}: the most "
                                f"frequent value kept (ties: the first alphabetically), e.g. " + "; ".join(examples)
                                + (" …" if len(disagree) > _EXAMPLES else "")))
    return out, adjustments
