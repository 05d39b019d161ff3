"""Ids as CRM exports write them: placeholders that mean "no id", and ids of another kind of record.

* **Placeholder ids.** Salesforce writes an empty lookup as an id of zeros — ``000000000000000AAA`` (18
  characters) or ``000000000000000`` (15) — in Data Export and Data Loader files. Any 15- or 18-character
  value made of zeros followed by nothing, ``AAA`` or ``AAAAAA`` is read as empty in every id column
  (a canonical column named ``*_id``), whatever the preset: no real record has such an id.
* **Ids of another kind of record.** A column that may point at several kinds of record (Salesforce's
  ``WhatId`` on tasks and events: an account, an opportunity, a campaign ...) feeds a canonical column that
  holds one kind. A preset names the kind by its key prefix (Salesforce ids start with three characters
  naming the object: ``006`` is an opportunity); an id of the 15- or 18-character Salesforce form with another
  prefix is read as empty there. Other values (external ids such as ``W_Opportunity.12``) are left alone.

Each rule applied is returned as rows of the adjustments frame (``derive.ADJUSTMENT_COLUMNS``) that
``salesops check`` and the data-quality page list, with the number of cells emptied: nothing changes silently.
Inputs are never modified.
"""

from __future__ import annotations

import pandas as pd

from salesops.contract.schema import TABLES, TEXT_DTYPE

#: A 15- or 18-character id of zeros, optionally ending in AAA or AAAAAA (Salesforce's empty id).
PLACEHOLDER_ID = r"0{18}|0{15}(?:AAA)?|0{12}(?:AAA|AAAAAA)|0{9}AAAAAA"
#: A Salesforce record id: 15 or 18 letters and digits.
SALESFORCE_ID = r"[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?"


def id_columns(table: str) -> list[str]:
    """The canonical columns of ``table`` that hold ids (named ``*_id``)."""
    return [column.name for column in TABLES[table].columns if column.name.endswith("_id")]


def is_placeholder(values: pd.Series) -> pd.Series:
    """Whether each value is a placeholder id (``PLACEHOLDER_ID``, surrounding spaces ignored); False where
    empty."""
    text = values.astype(TEXT_DTYPE)
    # only a value starting with a zero or a space can be one: a cheap test first (millions of activity ids)
    maybe = (text.str.startswith("0") | text.str.startswith(" ")).fillna(False).to_numpy(dtype=bool)
    found = pd.Series(False, index=values.index)
    if maybe.any():
        found[maybe] = text[maybe].str.strip().str.fullmatch(PLACEHOLDER_ID).fillna(False).to_numpy(dtype=bool)
    return found


def of_another_kind(values: pd.Series, prefix: str) -> pd.Series:
    """Whether each value is a Salesforce id (``SALESFORCE_ID``) whose key prefix is not ``prefix``."""
    text = values.astype(TEXT_DTYPE).str.strip()
    salesforce = text.str.fullmatch(SALESFORCE_ID).fillna(False).astype(bool)
    return salesforce & ~text.str.startswith(prefix).fillna(False).astype(bool)


def empty_ids(frame: pd.DataFrame, table: str, prefixes: dict[str, str] | None = None
              ) -> tuple[pd.DataFrame, list[tuple[str, str, str, int, str]]]:
    """``frame`` (a table with canonical column names) with placeholder ids emptied in its id columns, and
    with the ids of ``prefixes`` columns (canonical column → key prefix) that name another kind of record
    emptied; and one adjustment row ``(table, column, rule, rows, detail)`` per column and rule applied."""
    changes: dict[str, pd.Series] = {}
    applied = []
    for column in [c for c in id_columns(table) if c in frame.columns]:
        values = frame[column]
        rules = [("placeholder_ids_emptied", is_placeholder, "an id of zeros, Salesforce's empty id")]
        if prefixes and column in prefixes:
            prefix = prefixes[column]
            rules.append(("other_kind_ids_emptied", lambda v, prefix=prefix: of_another_kind(v, prefix),
                          f"the id of another kind of record: ids of this column start with {prefix}"))
        for rule, test, what in rules:
            hit = test(values).to_numpy(dtype=bool)
            if hit.any():
                example = str(values[hit].iloc[0]).strip()
                applied.append((table, column, rule, int(hit.sum()), f"{example!r} ({what}) read as no {column}"))
                values = values.mask(hit)
        if values is not frame[column]:
            changes[column] = values
    return (frame.assign(**changes) if changes else frame), applied
