"""Deals' products from their line items (the ``opportunity_lines`` table), applied after validation.

* **Line amounts.** A line without an ``amount`` is worth ``quantity × unit_price`` (when both are there).
* **A deal's product.** A deal without a ``product`` takes that of its **largest line by amount** (ties: the
  first product in alphabetical order; lines without an amount count last).
* **Products from lines.** Without a products table, the products are those sold on lines (and any other
  named on deals): ``unit_price``, the list price, is the **median unit price** of the product's lines
  (empty when none has one); the other columns stay empty.

Each application is an adjustment row (``table, column, rule, rows, detail``, as ``derive.py``), so nothing
changes silently. Money is in the company currency. Inputs are never modified.
"""

from __future__ import annotations

import pandas as pd

from salesops.contract.schema import TABLES, TEXT_DTYPE


def line_amounts(lines: pd.DataFrame) -> pd.Series:
    """Each line's amount: ``amount`` when given, else ``quantity × unit_price`` (missing when either is)."""
    computed = (lines["quantity"].astype("float64") * lines["unit_price"].astype("float64")
                if {"quantity", "unit_price"} <= set(lines.columns) else pd.Series(float("nan"), index=lines.index))
    given = lines["amount"].astype("float64") if "amount" in lines.columns else pd.Series(float("nan"),
                                                                                            index=lines.index)
    return given.where(given.notna(), computed)


def deal_products(lines: pd.DataFrame) -> pd.Series:
    """The product of each deal's largest line by amount (``line_amounts``; ties: the first product
    alphabetically; lines without an amount last), indexed by opportunity_id."""
    ranked = pd.DataFrame({"opportunity_id": lines["opportunity_id"].astype(object).to_numpy(),
                           "product": lines["product"].astype(object).to_numpy(),
                           "amount": line_amounts(lines).to_numpy()}).dropna(subset=["opportunity_id", "product"])
    ranked = ranked.sort_values(["opportunity_id", "amount", "product"], ascending=[True, False, True],
                                na_position="last", kind="stable")
    return ranked.drop_duplicates("opportunity_id").set_index("opportunity_id")["product"]


def products_from_lines(lines: pd.DataFrame, also: pd.Series | None = None) -> pd.DataFrame:
    """A canonical products table of the products sold on ``lines`` and those in ``also`` (products named on
    deals), sorted by name: ``unit_price`` = the median unit price of the product's lines, other columns
    empty."""
    names = pd.concat([lines["product"], also if also is not None else pd.Series(dtype=TEXT_DTYPE)]).dropna()
    ids = pd.Series(sorted(names.astype(str).unique()), dtype=TEXT_DTYPE)
    prices = (lines["unit_price"].astype("float64").groupby(lines["product"].astype(object).to_numpy()).median()
              if "unit_price" in lines.columns else pd.Series(dtype="float64"))
    frame = pd.DataFrame({c.name: pd.Series([pd.NA] * len(ids), dtype=TEXT_DTYPE) for c in TABLES["products"].columns})
    frame = frame.assign(product=ids, unit_price=ids.astype(object).map(prices).astype("float64"),
                         unit_cost=float("nan"), lead_time_days=pd.array([pd.NA] * len(ids), dtype="Int64"),
                         on_hand=pd.array([pd.NA] * len(ids), dtype="Int64"))
    return frame[TABLES["products"].column_names]


def apply_rules(tables: dict[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], list[tuple]]:
    """Line amounts, deals' products and the products table from the line items, when there are line items (see
    the module docstring); returns the new tables and the adjustment rows."""
    if "opportunity_lines" not in tables:
        return tables, []
    result = dict(tables)
    lines = result["opportunity_lines"]
    adjustments = []
    amounts = line_amounts(lines)
    computed = amounts.notna() & (lines["amount"].isna() if "amount" in lines.columns else True)
    if computed.any():
        result["opportunity_lines"] = lines = lines.assign(amount=amounts)
        adjustments.append(("opportunity_lines", "amount", "line_amounts_computed", int(computed.sum()),
                            "lines without an amount are worth quantity × unit price"))
    opportunities = result["opportunities"]
    current = (opportunities["product"] if "product" in opportunities.columns
               else pd.Series(pd.NA, index=opportunities.index, dtype=TEXT_DTYPE))
    taken = opportunities["opportunity_id"].astype(object).map(deal_products(lines))
    filled = current.isna().to_numpy(bool) & taken.notna().to_numpy(bool)
    if filled.any():
        result["opportunities"] = opportunities.assign(
            product=current.where(~filled, taken).astype(TEXT_DTYPE))
        adjustments.append(("opportunities", "product", "product_from_lines", int(filled.sum()),
                            "deals without a product took that of their largest line item by amount (ties: the "
                            "first alphabetically)"))
    if "products" not in result:
        named = result["opportunities"]["product"] if "product" in result["opportunities"].columns else None
        result["products"] = products_from_lines(lines, named)
        adjustments.append(("products", "product", "products_from_lines", len(result["products"]),
                            "no products table: the products sold on line items (or named on deals), each with "
                            "the median unit price of its lines as list price"))
    return result, adjustments
