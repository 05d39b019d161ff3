"""Open deals without an amount, valued by a stated rule so that coverage and the pipeline forecast do not count
them as $0.

Many CRMs leave a deal's amount empty (or zero) until a proposal is sent. Counted as entered, such a pipeline
reads "0.0× coverage" while the deals are real. The rule is the ``collect.open_deal_value`` param:

* ``median_won`` (default): a deal with line items (``opportunity_lines``) is worth its lines: each line's amount,
  else its quantity × its unit price, else × the product's list price (``products.unit_price``). Any other
  takes the median amount of the deals won in the ``window_months`` to ``as_of`` with the same segment and
  product; with fewer than ``MIN_WON_DEALS`` such deals, of the same segment; then of every won deal in the
  window. Deals without a segment or product use the wider groups directly.
* ``none``: amounts stay as entered (an open deal without amount counts as zero).

Only open deals (not closed) whose amount is missing or zero are valued; won and lost deals never are.
``amount_basis`` says how each deal's amount was set (``entered``, ``line items``, or the group whose median
valued it). Pure
functions: inputs are never changed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesops.contract.schema import TEXT_DTYPE
from salesops.deals import closed_mask, in_window, open_at, won_mask

#: Fewest won deals a group needs before its median values an open deal.
MIN_WON_DEALS = 3
RULES = ("median_won", "none")
ENTERED = "entered"
_GROUPS = (("segment", "product"), ("segment",), ())


def unvalued_mask(opportunities: pd.DataFrame) -> np.ndarray:
    """Open deals (not closed) whose amount is missing or zero."""
    amount = opportunities["amount"].astype("float64")
    return ~closed_mask(opportunities) & amount.fillna(0.0).eq(0.0).to_numpy(dtype=bool)


def _group_name(keys: tuple[str, ...], values: tuple) -> str:
    return "every won deal" if not keys else "won deals of " + " / ".join(str(v) for v in values)


LINE_ITEMS = "line items"


def line_values(lines: pd.DataFrame, products: pd.DataFrame | None = None) -> pd.Series:
    """Each deal's worth from its line items, by ``opportunity_id``: the sum of each line's amount, else quantity ×
    unit price, else quantity × the product's list price (``products.unit_price``); deals with no line valued
    are left out."""
    price = lines["unit_price"].astype("float64") if "unit_price" in lines else pd.Series(np.nan, index=lines.index)
    if products is not None and {"product", "unit_price"} <= set(products.columns):
        listed = products.drop_duplicates("product").set_index("product")["unit_price"].astype("float64")
        price = price.fillna(lines["product"].map(listed))
    quantity = lines["quantity"].astype("float64") if "quantity" in lines else pd.Series(np.nan, index=lines.index)
    amount = lines["amount"].astype("float64") if "amount" in lines else pd.Series(np.nan, index=lines.index)
    value = amount.fillna(quantity * price)
    valued = value.notna() & (value > 0)
    return value[valued].groupby(lines.loc[valued, "opportunity_id"].astype(object)).sum()


def value_open_deals(opportunities: pd.DataFrame, as_of, window_months: int, rule: str = "median_won",
                     lines: pd.DataFrame | None = None, products: pd.DataFrame | None = None) -> pd.DataFrame:
    """``opportunities`` with the open deals without amount valued by ``rule`` (see the module's docstring; ``lines``
    and ``products``: the ``opportunity_lines`` and ``products`` tables, when there are): ``amount`` filled
    (company currency) and ``amount_basis`` saying how each amount was set."""
    if rule not in RULES:
        raise ValueError(f"rule must be one of {', '.join(RULES)}; got {rule!r}")
    entered = opportunities["amount"].astype("float64")
    basis = pd.Series(ENTERED, index=opportunities.index, dtype=object)
    amount = entered.copy()
    todo = unvalued_mask(opportunities) if rule != "none" else np.zeros(len(opportunities), dtype=bool)
    if todo.any() and lines is not None and len(lines):
        from_lines = opportunities["opportunity_id"].astype(object).map(line_values(lines, products))
        priced = todo & from_lines.notna().to_numpy(dtype=bool)
        amount[priced] = from_lines[priced].astype(float)
        basis[priced] = LINE_ITEMS
        todo = todo & ~priced
    if todo.any():
        won = opportunities.loc[won_mask(opportunities) & in_window(opportunities["close_date"], pd.Timestamp(as_of),
                                                                     window_months)]
        won = won[won["amount"].astype("float64") > 0]
        for keys in _GROUPS:
            keys = tuple(key for key in keys if key in opportunities.columns)
            pending = todo & basis.eq(ENTERED).to_numpy()
            if not pending.any():
                break
            if not keys:
                if len(won):
                    amount[pending] = float(won["amount"].median())
                    basis[pending] = _group_name((), ())
                break
            stats = won.groupby(list(keys), observed=True)["amount"].agg(["median", "size"])
            stats = stats[stats["size"] >= MIN_WON_DEALS]
            if stats.empty:
                continue
            rows = opportunities.loc[pending, list(keys)]
            index = pd.MultiIndex.from_frame(rows.astype(object)) if len(keys) > 1 else pd.Index(
                rows[keys[0]].astype(object))
            median = stats["median"].reindex(index).to_numpy(dtype=float)
            found = ~np.isnan(median)
            where = np.flatnonzero(pending)[found]
            amount.iloc[where] = median[found]
            basis.iloc[where] = [_group_name(keys, value if isinstance(value, tuple) else (value,))
                                 for value in index[found]]
    return opportunities.assign(amount=amount, amount_basis=basis.astype(TEXT_DTYPE))


def valuation_summary(valued: pd.DataFrame, as_of) -> dict[str, float]:
    """The deals open at ``as_of`` (``deals.open_at``): ``open_deals``, ``entered_value`` (the amounts entered),
    ``valued_deals`` (how many had none and were valued), ``valued_value`` (what the rule gave them),
    ``line_deals`` (how many of those from their line items) and ``open_value`` (entered + valued); company
    currency."""
    rows = valued.loc[open_at(valued, pd.Timestamp(as_of))]
    basis = rows["amount_basis"] if "amount_basis" in rows else pd.Series(ENTERED, index=rows.index)
    was_valued = basis.ne(ENTERED).to_numpy(dtype=bool)
    from_lines = basis.eq(LINE_ITEMS).to_numpy(dtype=bool)
    amount = rows["amount"].fillna(0.0)
    return {"open_deals": int(len(rows)), "entered_value": float(amount[~was_valued].sum()),
            "valued_deals": int(was_valued.sum()), "valued_value": float(amount[was_valued].sum()),
            "line_deals": int(from_lines.sum()), "open_value": float(amount.sum())}
