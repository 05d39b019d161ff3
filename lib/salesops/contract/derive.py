"""Documented rules that make the most of incomplete CRM exports, applied after validation.

* **Who is who.** One rule gives a person's role wherever the data does not: ``MANAGER`` for a person named
  in ``reps.manager_id``; else ``AE`` for a person who owns opportunities or leads or submitted a forecast;
  else ``UNKNOWN_ROLE`` (named only on activities or as an account owner, or a CRM's placeholder such as
  "Unassigned" or "Inactive User": kept for names and totals, counted in no capacity and given no quota).
* **Reps from owners.** Without a reps table, every person named on opportunities, leads, activities, accounts
  (``owner_rep_id``) or forecast submissions (an id or a name such as a Salesforce "Opportunity Owner") becomes
  a rep named as written, with the role of the rule above.
* **Reps the export left out.** With a reps table, a manager named in ``manager_id`` and a person named in
  another table but absent from it (a CRM's "Unassigned" or "Inactive User", a deactivated user not exported)
  becomes a row too, named by its id, with the role of the rule above: never an orphan that stops the run.
* **Derivable columns** (``schema.ColumnSpec.derived_from``): a reps table without ``name`` or ``role``, or
  with empty cells in them, gets the ``rep_id`` as the name and the role of the rule above, row by row; an
  accounts table without ``name`` gets the ``account_id``.
* **Accounts from names.** Without an accounts table, every ``account_id`` on opportunities and leads (an id
  or an account name) becomes an account whose name is that value, created on the first day a deal or a lead
  named it.
* **One spelling per product.** Product names that differ only in case, spaces or punctuation
  (``GTX Pro`` / ``GTXPro`` / ``gtx-pro``) are one product: every spelling is replaced by the products
  table's own, or, without a products table, by the most frequent spelling (ties: the first in
  alphabetical order).
* **Segments of account executives** (:func:`derive_rep_segments`, applied by the loader, which knows the
  planning date): an AE without a segment gets the size band (``schema.SEGMENT_BANDS``) of the accounts of
  most of their won value in the last four complete quarters (without a won deal there: of most of the deals
  they worked, created or closed in those quarters; ties: SMB, MM, ENT order), so that capacity is split by
  segment the way demand is (a deal's segment is its owner's, else its account's band).
* **How far a deal got, from its stage history.** With an ``opportunity_history`` table, a deal whose
  ``max_stage`` is empty gets the furthest open stage its history shows (a lost deal: the stage where it was
  lost), so the funnel and the stage close rates see how far lost deals got instead of counting them as lost at
  the first stage.

Each application is recorded as a row of an *adjustments* frame (``table, column, rule, rows, detail``)
that the data-quality audit counts and lists: nothing changes silently. Inputs are never modified.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from salesops.contract import privacy
from salesops.contract.schema import OPEN_STAGES, SEGMENT_BANDS, SEGMENTS, TABLES, TEXT_DTYPE, UNKNOWN_ROLE

ADJUSTMENT_COLUMNS = ["table", "column", "rule", "rows", "detail"]
#: Where people are named outside the reps table: (table, column).
_OWNER_COLUMNS = (("opportunities", "rep_id"), ("activities", "rep_id"), ("leads", "owner_rep_id"),
                  ("forecast_submissions", "rep_id"), ("accounts", "owner_rep_id"), ("quotas", "rep_id"))
#: The columns whose people sell: an owner named there is an account executive.
_SELLER_COLUMNS = (("opportunities", "rep_id"), ("leads", "owner_rep_id"), ("forecast_submissions", "rep_id"))
#: Rules that derive a whole column the export lacks (or left empty on every row) that analyses need: such an
#: analysis does not count the column as provided (``derived_columns``). Names are needed by none.
WHOLE_COLUMN_RULES = ("rep_roles_derived",)
#: How many ids an adjustment's detail lists before "…".
_SHOW_IDS = 5
#: The tables that name accounts (``account_id``), each with its creation date.
_ACCOUNT_TABLES = ("opportunities", "leads")


def _empty_table(name: str, rows: int) -> dict[str, pd.Series]:
    return {c.name: pd.Series([pd.NA] * rows, dtype=TEXT_DTYPE) for c in TABLES[name].columns}


def _ids(tables: dict[str, pd.DataFrame], columns) -> set[str]:
    return {str(v) for t, c in columns if t in tables and c in tables[t].columns
            for v in tables[t][c].dropna().unique()}  # each distinct id once: activities repeat a rep millions of times


def _listed(ids) -> str:
    """The first ids, sorted, for an adjustment's detail; an id that is an e-mail address (a HubSpot owner) masked,
    since the detail is shown on executive pages."""
    ids = [privacy.mask(i) if privacy.looks_like_email(i) else str(i) for i in sorted(ids)]
    return ", ".join(ids[:_SHOW_IDS]) + (f" and {len(ids) - _SHOW_IDS:,} more" if len(ids) > _SHOW_IDS else "")


#: Owner names a CRM gives to deals nobody owns (``Unassigned``, ``Inactive User``, ``No owner`` ...): not a person,
#: so never an account executive, whatever deals they hold.
PLACEHOLDER_OWNER = re.compile(r"^\s*(?:unassigned|no owner|none|nobody|inactive(?: user)?|deleted user|"
                               r"former (?:user|employee)|unknown|n/?a|-+)\s*$", re.IGNORECASE)


def people_roles(ids: pd.Series, tables: dict[str, pd.DataFrame]) -> pd.Series:
    """The role of each person of ``ids`` by the rule of the module docstring: ``MANAGER`` when named in
    ``reps.manager_id``, else ``AE`` when owning opportunities or leads or submitting a forecast, else
    ``UNKNOWN_ROLE``; an id that is a CRM's placeholder for "no owner" (``PLACEHOLDER_OWNER``) is
    ``UNKNOWN_ROLE`` whatever it owns. Text, aligned on ``ids``."""
    reps = tables.get("reps")
    managers = _ids({"reps": reps}, (("reps", "manager_id"),)) if reps is not None else set()
    sellers = _ids(tables, _SELLER_COLUMNS)
    text = ids.astype(object)
    placeholder = text.astype(str).str.fullmatch(PLACEHOLDER_OWNER).to_numpy(dtype=bool)
    roles = np.where(text.isin(managers), "MANAGER",
                     np.where(text.isin(sellers) & ~placeholder, "AE", UNKNOWN_ROLE))
    return pd.Series(roles, index=ids.index, dtype=TEXT_DTYPE)


def _role_counts(roles: pd.Series) -> str:
    """'3 AE, 1 MANAGER, 2 UNKNOWN (neither: counted in no capacity)'."""
    counts = roles.value_counts()
    parts = [f"{int(counts[role]):,} {role}" for role in ("AE", "MANAGER", UNKNOWN_ROLE) if role in counts]
    return ", ".join(parts) + (" (neither a manager nor an owner of deals or leads: counted in no capacity)"
                               if UNKNOWN_ROLE in counts else "")


def derive_reps(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """A canonical reps table from the people named in the other tables (role by ``people_roles``, name = the
    id as written), sorted by rep_id."""
    ids = pd.Series(sorted(_ids(tables, _OWNER_COLUMNS)), dtype=TEXT_DTYPE)
    frame = pd.DataFrame(_empty_table("reps", len(ids)))
    frame = frame.assign(rep_id=ids, name=ids, role=people_roles(ids, tables),
                         hire_date=pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]"),
                         end_date=pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]"),
                         quota=float("nan"), ote=float("nan"))
    return frame[TABLES["reps"].column_names]


def _names_accounts(tables: dict[str, pd.DataFrame]) -> bool:
    """Whether a table that names accounts (opportunities, leads) has an ``account_id`` column."""
    return any(t in tables and "account_id" in tables[t].columns for t in _ACCOUNT_TABLES)


def derive_accounts(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """A canonical accounts table from the accounts named on opportunities and leads, sorted by account_id;
    ``created_date`` is the first ``created_date`` of a deal or lead naming the account. A lead may name an
    account no deal names: without the lead's account, its ``account_id`` would point to nothing."""
    named = pd.concat([tables[t][["account_id", "created_date"]] for t in _ACCOUNT_TABLES
                       if t in tables and "account_id" in tables[t].columns], ignore_index=True)
    ids = pd.Series(sorted(named["account_id"].dropna().unique()), dtype=TEXT_DTYPE)
    frame = pd.DataFrame(_empty_table("accounts", len(ids)))
    first_named = named.groupby("account_id", observed=True)["created_date"].min()
    frame = frame.assign(account_id=ids, name=ids, employees=pd.array([pd.NA] * len(ids), dtype="Int64"),
                         annual_revenue=float("nan"),
                         created_date=ids.map(first_named).astype("datetime64[ns]"))
    return frame[TABLES["accounts"].column_names]


def fill_column(frame: pd.DataFrame, table: str, column: str, values: pd.Series) -> tuple[pd.DataFrame, int, bool]:
    """``frame`` (of canonical ``table``) with ``column`` added from ``values`` when absent (in its place among
    the canonical columns), or its empty cells filled from them (a new frame); also how many cells were filled
    and whether that was every row (the export gave nothing)."""
    if column not in frame.columns:
        added = frame.assign(**{column: values.astype(TEXT_DTYPE)})
        canonical = [c for c in TABLES[table].column_names if c in added.columns]
        return added[canonical + [c for c in added.columns if c not in canonical]], len(frame), True
    empty = frame[column].isna()
    if not empty.any():
        return frame, 0, False
    return frame.assign(**{column: frame[column].where(~empty, values)}), int(empty.sum()), bool(empty.all())


def complete_reps(tables: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, list[tuple]]:
    """The provided reps table with its derivable columns filled (``name`` from ``rep_id``, ``role`` by
    ``people_roles``) and a row for each manager and each person named elsewhere that it lacks; returns the new
    frame and the adjustments made (``ADJUSTMENT_COLUMNS`` tuples)."""
    reps, adjustments = tables["reps"], []
    frame, filled, _ = fill_column(reps, "reps", "name", reps["rep_id"])
    if filled:
        adjustments.append(("reps", "name", "rep_names_from_ids", filled,
                            ("no name column" if "name" not in reps.columns else f"{filled:,} empty names")
                            + ": the rep_id is the name"))
    roles = people_roles(frame["rep_id"], tables)
    given = frame["role"] if "role" in frame.columns else pd.Series(pd.NA, index=frame.index, dtype=TEXT_DTYPE)
    frame, filled, whole = fill_column(frame, "reps", "role", roles)
    if filled:
        rule = "rep_roles_derived" if whole else "rep_role_cells_derived"
        adjustments.append(("reps", "role", rule, filled,
                            ("no role column" if "role" not in reps.columns else f"{filled:,} empty roles")
                            + f": {_role_counts(roles[given.isna().to_numpy()])}, by who manages and who owns deals"))
    known = set(frame["rep_id"].dropna().astype(str))
    managers = _ids({"reps": frame}, (("reps", "manager_id"),)) - known
    others = _ids(tables, _OWNER_COLUMNS) - known - managers
    missing = sorted(managers) + sorted(others)
    if not missing:
        return frame, adjustments
    ids = pd.Series(missing, dtype=TEXT_DTYPE)
    start = int(frame.index.max()) + 1 if len(frame) else 0
    added = frame.iloc[:0].reindex(pd.RangeIndex(start, start + len(ids)))
    added = added.assign(rep_id=ids.to_numpy(), name=ids.to_numpy(), role=people_roles(ids, tables).to_numpy())
    added = added.astype({c: frame[c].dtype for c in ("rep_id", "name", "role")})
    if managers:
        adjustments.append(("reps", "rep_id", "managers_added", len(managers),
                            f"managers named in manager_id but absent from the reps table, added as MANAGER: "
                            f"{_listed(managers)}"))
    if others:
        roles = people_roles(pd.Series(sorted(others), dtype=TEXT_DTYPE), tables)
        adjustments.append(("reps", "rep_id", "owners_added", len(others),
                            f"people named as owners in other tables but absent from the reps table, added "
                            f"({_role_counts(roles)}): {_listed(others)}"))
    return pd.concat([frame, added]), adjustments


def derived_columns(adjustments: pd.DataFrame) -> set[str]:
    """``"table.column"`` of each column a rule derived on every row (``WHOLE_COLUMN_RULES``): the export gave
    none of it, so an analysis that needs it does not count it as provided."""
    whole = adjustments[adjustments["rule"].isin(WHOLE_COLUMN_RULES)]
    return {f"{table}.{column}" for table, column in zip(whole["table"], whole["column"])}


def size_bands(employees: pd.Series) -> pd.Series:
    """The segment of each account by its employees (``schema.SEGMENT_BANDS``); missing when unknown."""
    values = pd.to_numeric(employees, errors="coerce").astype("float64")
    out = pd.Series(pd.NA, index=employees.index, dtype=TEXT_DTYPE)
    for low, high, name in SEGMENT_BANDS:
        out = out.mask((values >= low) & (values < high), name)
    return out


def derive_rep_segments(tables: dict[str, pd.DataFrame], start: pd.Timestamp, end: pd.Timestamp,
                        window: str) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Each account executive (role ``AE``) without a segment gets the size band of the accounts of most of
    their won value among the deals closed in ``[start, end]`` (``window`` names that span, for the detail);
    without a won deal there, of most of the deals they owned that were created or closed in it; ties in the
    order of ``schema.SEGMENTS``. An AE with no deal at a sized account in the window keeps no segment. Needs
    ``reps``, ``opportunities`` and ``accounts`` with ``employees``; otherwise nothing changes. Returns the new
    tables and the adjustment made (one row, or none)."""
    reps, opportunities, accounts = (tables.get(name) for name in ("reps", "opportunities", "accounts"))
    none = pd.DataFrame(columns=ADJUSTMENT_COLUMNS).astype({"rows": "int64"})
    if (reps is None or accounts is None or "employees" not in accounts.columns
            or "account_id" not in opportunities.columns or "role" not in reps.columns):
        return tables, none
    segment = reps["segment"] if "segment" in reps.columns else pd.Series(pd.NA, index=reps.index, dtype=TEXT_DTYPE)
    needs = (reps["role"].astype(object) == "AE").to_numpy(bool) & segment.isna().to_numpy()
    if not needs.any():
        return tables, none
    band = opportunities["account_id"].map(
        size_bands(accounts["employees"]).set_axis(accounts["account_id"].astype(object))).astype(object)
    closed_in = opportunities["close_date"].between(start, end).fillna(False).to_numpy(bool)
    created_in = opportunities["created_date"].between(start, end).fillna(False).to_numpy(bool)
    won = opportunities["is_won"].fillna(False).to_numpy(bool) & closed_in
    worked = (closed_in & opportunities["is_closed"].fillna(False).to_numpy(bool)) | created_in
    deals = pd.DataFrame({"rep_id": opportunities["rep_id"].astype(object), "segment": band,
                          "won_value": np.where(won, opportunities["amount"].astype("float64").fillna(0.0), 0.0),
                          "deals": worked.astype("int64")}).loc[worked & band.notna().to_numpy()]
    order = {name: index for index, name in enumerate(SEGMENTS)}
    ranked = (deals.groupby(["rep_id", "segment"], as_index=False)[["won_value", "deals"]].sum()
              .assign(_order=lambda f: f["segment"].map(order))
              .sort_values(["rep_id", "won_value", "deals", "_order"], ascending=[True, False, False, True])
              .drop_duplicates("rep_id").set_index("rep_id")["segment"])
    found = reps["rep_id"].astype(object).map(ranked).where(needs)
    given = found.notna().to_numpy()
    if not given.any():
        return tables, none
    new_segment = segment.astype(TEXT_DTYPE).where(~given, found.astype(TEXT_DTYPE))
    result = {**tables, "reps": reps.assign(segment=new_segment)}
    by_segment = "; ".join(f"{name} {int((found == name).sum()):,} ({_listed(reps['rep_id'][found == name])})"
                           for name in SEGMENTS if (found == name).any())
    detail = (f"{int(given.sum()):,} account executive(s) without a segment given the size band of the accounts of "
              f"most of their won value in {window}: {by_segment}")
    if int(needs.sum()) > int(given.sum()):
        detail += f"; {int(needs.sum() - given.sum()):,} without a deal at a sized account there keep none"
    row = pd.DataFrame([("reps", "segment", "rep_segments_derived", int(given.sum()), detail)],
                       columns=ADJUSTMENT_COLUMNS)
    return result, row


def max_stage_from_history(opportunities: pd.DataFrame, history: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """``opportunities`` with an empty ``max_stage`` filled by the furthest open stage (``OPEN_STAGES`` order) of
    the deal's history rows, and how many deals were filled; deals whose history never shows an open stage stay
    empty."""
    rank = {stage: position for position, stage in enumerate(OPEN_STAGES)}
    ranks = history["stage"].astype(object).map(rank)
    furthest = ranks.groupby(history["opportunity_id"].astype(object)).max().dropna().astype(int)
    found = opportunities["opportunity_id"].astype(object).map(furthest)
    current = (opportunities["max_stage"] if "max_stage" in opportunities.columns
               else pd.Series(pd.NA, index=opportunities.index, dtype=TEXT_DTYPE))
    fill = current.isna().to_numpy(dtype=bool) & found.notna().to_numpy(dtype=bool)
    if not fill.any():
        return opportunities, 0
    stages = np.asarray(OPEN_STAGES, dtype=object)
    filled = current.astype(object).copy()
    filled[fill] = stages[found[fill].astype(int).to_numpy()]
    return opportunities.assign(max_stage=filled.astype(TEXT_DTYPE)), int(fill.sum())


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
    spelling = {v: best.get(spelling_key(v), v) for v in present.unique()}  # per distinct value, not per row
    return values.map(spelling).astype(values.dtype)


def apply_rules(tables: dict[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Derive missing reps and accounts, the derivable columns and the reps the export left out, and unify
    product spellings; returns the new tables and the adjustments made (one row per rule applied)."""
    result = dict(tables)
    adjustments = []
    if "reps" not in result:
        result["reps"] = derive_reps(result)
        adjustments.append(("reps", "rep_id", "reps_derived", len(result["reps"]),
                            "no reps table: every person named on opportunities, leads, activities, accounts or "
                            f"forecast submissions counted as a rep ({_role_counts(result['reps']['role'])})"))
    else:
        result["reps"], made = complete_reps(result)
        adjustments += made
    if "accounts" not in result and _names_accounts(result):
        result["accounts"] = derive_accounts(result)
        adjustments.append(("accounts", "account_id", "accounts_derived", len(result["accounts"]),
                            "no accounts table: every account named on opportunities or leads counted as an account"))
    elif "accounts" in result:
        accounts = result["accounts"]
        result["accounts"], filled, _ = fill_column(accounts, "accounts", "name", accounts["account_id"])
        if filled:
            adjustments.append(("accounts", "name", "account_names_from_ids", filled,
                                ("no name column" if "name" not in accounts.columns else f"{filled:,} empty names")
                                + ": the account_id is the name"))
    if "opportunity_history" in result:
        result["opportunities"], filled = max_stage_from_history(result["opportunities"], result["opportunity_history"])
        if filled:
            adjustments.append(("opportunities", "max_stage", "max_stage_from_history", filled,
                                "deals without a furthest stage got the furthest open stage of their stage history"))
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
