"""Documented rules that make the most of incomplete CRM exports, applied after validation.

* **Reps from owners.** Without a reps table, every owner named on opportunities (``rep_id``: an id or a
  name such as a Salesforce "Opportunity Owner") becomes an account executive (role AE, name = the
  owner as written). Activities and leads owners are added the same way.
* **Accounts from names.** Without an accounts table, every ``account_id`` on opportunities (an id or an
  account name) becomes an account whose name is that value.
* **One spelling per product.** Product names that differ only in case, spaces or punctuation
  (``GTX Pro`` / ``GTXPro`` / ``gtx-pro``) are one product: every spelling is replaced by the products
  table's own, or, without a products table, by the most frequent spelling (ties: the first in
  alphabetical order).

Each application is recorded as a row of an *adjustments* frame (``table, column, rule, rows, detail``)
that the data-quality audit counts and lists: nothing changes silently. Inputs are never modified.
"""

from __future__ import annotations

import re

import pandas as pd

from salesops.contract.schema import TABLES, TEXT_DTYPE

ADJUSTMENT_COLUMNS = ["table", "column", "rule", "rows", "detail"]
_OWNER_COLUMNS = (("opportunities", "rep_id"), ("activities", "rep_id"), ("leads", "owner_rep_id"),
                  ("forecast_submissions", "rep_id"), ("quotas", "rep_id"))


def _empty_table(name: str, rows: int) -> dict[str, pd.Series]:
    return {c.name: pd.Series([pd.NA] * rows, dtype=TEXT_DTYPE) for c in TABLES[name].columns}


def derive_reps(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """A canonical reps table from the owners named in the other tables (role AE), sorted by rep_id."""
    owners = pd.concat([tables[t][c] for t, c in _OWNER_COLUMNS if t in tables and c in tables[t].columns])
    ids = pd.Series(sorted(owners.dropna().unique()), dtype=TEXT_DTYPE)
    frame = pd.DataFrame(_empty_table("reps", len(ids)))
    frame = frame.assign(rep_id=ids, name=ids, role=pd.Series(["AE"] * len(ids), dtype=TEXT_DTYPE),
                         hire_date=pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]"),
                         end_date=pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]"),
                         quota=float("nan"), ote=float("nan"))
    return frame[TABLES["reps"].column_names]


def derive_accounts(opportunities: pd.DataFrame) -> pd.DataFrame:
    """A canonical accounts table from the accounts named on opportunities, sorted by account_id."""
    ids = pd.Series(sorted(opportunities["account_id"].dropna().unique()), dtype=TEXT_DTYPE)
    frame = pd.DataFrame(_empty_table("accounts", len(ids)))
    first_deal = opportunities.groupby("account_id", observed=True)["created_date"].min()
    frame = frame.assign(account_id=ids, name=ids, employees=pd.array([pd.NA] * len(ids), dtype="Int64"),
                         annual_revenue=float("nan"),
                         created_date=ids.map(first_deal).astype("datetime64[ns]"))
    return frame[TABLES["accounts"].column_names]


def spelling_key(name: str) -> str:
    """``GTX Pro`` → ``gtxpro``: what two spellings of one name have in common."""
    return re.sub(r"[^0-9a-z]", "", str(name).lower())


def unify_spellings(values: pd.Series, preferred: pd.Series | None = None) -> pd.Series:
    """Each value replaced by the one spelling of its :func:`spelling_key`: the ``preferred`` spelling
    when one has that key, else the most frequent spelling in ``values`` (ties: alphabetical)."""
    present = values.dropna()
    counts = present.value_counts().rename_axis("spelling").reset_index(name="n")
    counts = counts.assign(key=counts["spelling"].map(spelling_key))
    best = (counts.sort_values(["key", "n", "spelling"], ascending=[True, False, True])
            .drop_duplicates("key").set_index("key")["spelling"])
    if preferred is not None:
        official = pd.Series(preferred.dropna().to_numpy(), index=preferred.dropna().map(spelling_key).to_numpy())
        best = official[~official.index.duplicated()].combine_first(best)
    return values.map(lambda v: v if pd.isna(v) else best.get(spelling_key(v), v)).astype(values.dtype)


def apply_rules(tables: dict[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Derive missing reps and accounts and unify product spellings; returns the new tables and the
    adjustments made (one row per rule applied)."""
    result = dict(tables)
    adjustments = []
    if "reps" not in result:
        result["reps"] = derive_reps(result)
        adjustments.append(("reps", "rep_id", "reps_derived", len(result["reps"]),
                            "no reps table: every owner named on opportunities counted as an account executive"))
    if "accounts" not in result and "account_id" in result["opportunities"].columns:
        result["accounts"] = derive_accounts(result["opportunities"])
        adjustments.append(("accounts", "account_id", "accounts_derived", len(result["accounts"]),
                            "no accounts table: every account named on opportunities counted as an account"))
    preferred = result["products"]["product"] if "products" in result else None
    product_tables = [t for t in ("opportunities", "orders") if t in result and "product" in result[t].columns]
    if product_tables:
        every = pd.concat([result[t]["product"] for t in product_tables], ignore_index=True)
        unified = unify_spellings(every, preferred)
        start = 0
        for name in product_tables:
            before = result[name]["product"]
            after = pd.Series(unified.iloc[start:start + len(before)].to_numpy(), index=before.index, dtype=before.dtype)
            start += len(before)
            changed = before.notna() & (before != after)
            if changed.any():
                pairs = sorted({f"{b} → {a}" for b, a in zip(before[changed], after[changed])})
                adjustments.append((name, "product", "product_spellings_unified", int(changed.sum()),
                                    "; ".join(pairs[:5]) + (" …" if len(pairs) > 5 else "")))
                result[name] = result[name].assign(product=after)
    frame = pd.DataFrame(adjustments, columns=ADJUSTMENT_COLUMNS).astype({"rows": "int64"})
    return result, frame
