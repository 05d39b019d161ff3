"""The plan's sheets of ``plan.xlsx``: quotas, territories, account assignments, hiring, compensation, payouts
and actions, each a :class:`salesops.report.workbook.Sheet` with its labels, number formats and notes."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from salesops.align.compensation import TOTAL
from salesops.formats import money, number, percent
from salesops.report.workbook import Sheet

#: Header labels of the plan's columns where the default (``workbook.column_label``) would not read well.
PLAN_LABELS: dict[str, str] = {
    "rep_id": "Rep", "previous_rep_id": "Previous rep", "account_id": "Account", "new_hire": "New hire",
    "accounts_before": "Accounts before", "accounts_after": "Accounts after", "ds": "Start month",
    "fully_ramped": "Fully productive from", "annual_cost": "Annual cost (one hire)",
    "cost_in_horizon": "Cost in horizon", "ote": "OTE (annual)", "pay_mix": "Variable share of OTE",
    "rate_multiplier": "Rate multiplier", "cap_attainment": "Payout cap (attainment)",
    "target_variable": "Target variable (quarter)", "payout_p10": "Payout P10", "payout_p50": "Payout P50",
    "payout_p90": "Payout P90", "due_date": "Due date",
}


def _present(frame: pd.DataFrame | None, columns: Sequence[str]) -> list[str]:
    return [column for column in columns if frame is not None and column in frame.columns]


def _plan_sheet(name: str, title: str, frame: pd.DataFrame | None, columns: Sequence[str], missing_note: str,
                notes: Sequence[str] = (), **kinds: tuple[str, ...]) -> Sheet:
    """A plan sheet of the ``columns`` of ``frame`` that exist, with :data:`PLAN_LABELS`; when ``frame`` is
    None or has no rows or none of the columns, a sheet with only ``missing_note``."""
    if frame is None or frame.empty or not _present(frame, columns):
        return Sheet(name=name, frame=None, title=title, notes=(missing_note,))
    return Sheet(name=name, frame=frame[_present(frame, columns)].reset_index(drop=True), title=title,
                 labels=PLAN_LABELS, notes=tuple(notes), **kinds)


def _total(frame: pd.DataFrame, column: str) -> float | None:
    """Sum of a numeric column, None when the column is absent."""
    return float(pd.to_numeric(frame[column]).astype("float64").sum()) if column in frame.columns else None


def _whole(frame: pd.DataFrame, column: str) -> bool:
    """Whether a numeric column holds whole numbers only (missing values aside)."""
    if column not in frame.columns:
        return True
    values = pd.to_numeric(frame[column]).astype("float64").dropna()
    return bool((values == values.round()).all())


def _quotas_sheet(quotas: pd.DataFrame | None, currency: str) -> Sheet:
    notes = []
    if quotas is not None and not quotas.empty and "quota" in quotas.columns:
        notes.append(f"Quotas add up to {money(_total(quotas, 'quota'), currency)} over {len(quotas):,} "
                     f"rep{'s' if len(quotas) != 1 else ''}.")
    return _plan_sheet("Quotas", "Quarterly quotas", quotas,
                       ("rep_id", "name", "segment", "region", "new_hire", "ramped_share", "quota"),
                       "No quotas are available for this quarter.", notes,
                       money_columns=("quota",), percent_columns=("ramped_share",))


def _territories_sheet(balance: pd.DataFrame | None) -> Sheet:
    return _plan_sheet("Territories", "Territory balance per rep", balance,
                       ("rep_id", "segment", "region", "accounts_before", "potential_before", "accounts_after",
                        "potential_after", "potential_change"),
                       "No territory balance is available: there were no accounts or reps to assign.",
                       ("Potential: expected bookings value of each account's customer segment; it ranks "
                        "accounts, it is not a forecast. Before: today's owners; after: this quarter's.",),
                       money_columns=("potential_before", "potential_after", "potential_change"),
                       number_columns=("accounts_before", "accounts_after"))


def _assignments_sheet(assignment: pd.DataFrame | None) -> Sheet:
    notes = []
    if assignment is not None and not assignment.empty and "reassigned" in assignment.columns:
        moved = int(assignment["reassigned"].fillna(False).astype(bool).sum())
        notes.append(f"{moved:,} of {len(assignment):,} accounts change rep this quarter.")
    return _plan_sheet("Account assignments", "Which rep owns each account this quarter", assignment,
                       ("account_id", "previous_rep_id", "rep_id", "reassigned", "rule", "potential"),
                       "No account assignments are available.", notes, money_columns=("potential",))


def _hiring_sheet(hiring_plan: pd.DataFrame | None, currency: str) -> Sheet:
    notes = []
    if hiring_plan is not None and not hiring_plan.empty and {"hires", "cost_in_horizon"} <= set(hiring_plan):
        hires = _total(hiring_plan, "hires")
        notes.append(f"{number(hires, 0 if _whole(hiring_plan, 'hires') else 1)} hire{'' if hires == 1 else 's'}, "
                     f"costing {money(_total(hiring_plan, 'cost_in_horizon'), currency)} within the plan's horizon.")
    hires_kind = "number_columns" if hiring_plan is None or _whole(hiring_plan, "hires") else "decimal_columns"
    return _plan_sheet("Hiring plan", "Hiring plan", hiring_plan,
                       ("scenario", "role", "segment", "ds", "hires", "fully_ramped", "annual_cost",
                        "cost_in_horizon"),
                       "No hires are planned in this scenario.", notes,
                       money_columns=("annual_cost", "cost_in_horizon"), date_columns=("ds", "fully_ramped"),
                       **{hires_kind: ("hires",)})


def _compensation_sheet(plan: pd.DataFrame | None) -> Sheet:
    return _plan_sheet("Compensation plan", "Commission plans, one row per tier", plan,
                       ("role", "ote", "pay_mix", "tier", "from_attainment", "to_attainment", "rate_multiplier",
                        "cap_attainment"),
                       "No commission plan is set.",
                       ("Attainment is bookings as a share of quota (100% = quota). Bookings in a tier's band pay "
                        "the commission rate times its multiplier; an empty 'To attainment' is open-ended and an "
                        "empty cap means no cap.",),
                       money_columns=("ote",), number_columns=("tier",), decimal_columns=("rate_multiplier",),
                       percent_columns=("pay_mix", "from_attainment", "to_attainment", "cap_attainment"))


def _payout_total_note(payouts: pd.DataFrame, currency: str) -> list[str]:
    """The simulation's all-reps rows as sentences, one per scenario (their percentiles are of the team's total
    per simulated quarter, not sums of the reps' percentiles)."""
    if "rep_id" not in payouts.columns:
        return []
    total = payouts.loc[payouts["rep_id"].astype(object).eq(TOTAL).to_numpy(dtype=bool)]
    notes = []
    for _, row in total.iterrows():
        parts = [f"{label} {money(row[column], currency)}" for column, label in (
            ("expected_bookings", "bookings"), ("expected_payout", "expected payout"), ("payout_p10", "P10"),
            ("payout_p50", "P50"), ("payout_p90", "P90")) if column in total.columns]
        if "cost_of_sales" in total.columns:
            parts.append(f"cost of sales {percent(row['cost_of_sales'])}")
        scenario = f", {row['scenario']} scenario" if "scenario" in total.columns else ""
        if parts:
            notes.append(f"All reps together{scenario}, per simulated quarter: {', '.join(parts)}.")
    return notes


def _payouts_sheet(payouts: pd.DataFrame | None, currency: str) -> Sheet:
    reps = payouts
    notes = []
    if payouts is not None and "rep_id" in payouts.columns:
        reps = payouts.loc[payouts["rep_id"].astype(object).ne(TOTAL).to_numpy(dtype=bool)]
        notes = _payout_total_note(payouts, currency)
    notes.append("Bookings per scenario are the plan's forecast, spread across reps as attainment spread in past "
                 "quarters; the rows below are the base scenario. P10 / P50 / P90 are the payouts reached in "
                 "10% / 50% / 90% of simulated quarters; cost of sales is expected payout over expected bookings; "
                 "a ramping rep's target variable is ramped like the quota.")
    return _plan_sheet("Payout simulation", "What the commission plan is likely to cost", reps,
                       ("rep_id", "quota", "target_variable", "expected_attainment", "expected_bookings",
                        "expected_payout", "payout_p10", "payout_p50", "payout_p90", "cost_of_sales"),
                       "No payout simulation is available: it needs quotas and past attainment.", notes,
                       money_columns=("quota", "target_variable", "expected_bookings", "expected_payout",
                                      "payout_p10", "payout_p50", "payout_p90"),
                       percent_columns=("expected_attainment", "cost_of_sales"))


def _actions_sheet(actions: pd.DataFrame | None) -> Sheet:
    return _plan_sheet("Actions", "Actions for the quarter, highest priority first", actions,
                       ("priority", "title", "owner", "due_date", "metric", "expected_effect", "impact"),
                       "No actions are listed for this quarter.",
                       ("Impact: expected effect on the quarter's bookings; empty when not known.",),
                       number_columns=("priority",), date_columns=("due_date",), money_columns=("impact",))


def summary_sheet(facts: pd.DataFrame | None, bridge: pd.DataFrame | None, currency: str) -> Sheet:
    """The first sheet: the plan's headline figures as every page shows them (``plan_facts``: figure, value as
    shown, what it means, how it is known), with the bridge from the forecast to the target in the notes above.
    Without facts, a sheet saying so."""
    if facts is None or facts.empty:
        return Sheet(name="Summary", frame=None, title="The plan in figures",
                     notes=("The plan's figures are not available for this quarter.",))
    bridge = bridge if bridge is not None else pd.DataFrame(columns=["step", "amount", "how"])
    shown = facts[["label", "display", "note", "basis"]].rename(
        columns={"label": "figure", "display": "value", "note": "what it means", "basis": "how it is known"})
    lines = tuple(f"{row.step}: {money(row.amount, currency, compact=True)} — {row.how}" for row in bridge.itertuples())
    return Sheet(name="Summary", frame=shown.reset_index(drop=True), title="The plan in figures",
                 notes=("From the forecast to the target:", *lines))


def plan_sheets(quotas: pd.DataFrame | None, territory_balance: pd.DataFrame | None,
                territory_assignment: pd.DataFrame | None, hiring_plan: pd.DataFrame | None,
                compensation_plan: pd.DataFrame | None, payouts: pd.DataFrame | None,
                actions: pd.DataFrame | None, currency: str, facts: pd.DataFrame | None = None,
                bridge: pd.DataFrame | None = None) -> list[Sheet]:
    """The plan's sheets, in order: Summary (:func:`summary_sheet`), Quotas, Territories, Account assignments, Hiring plan, Compensation plan,
    Payout simulation, Actions — each the columns of its frame that exist, labelled for people, with notes
    (totals go in a note above the table, so the filtered table holds only rows of one kind). A frame that is
    None or empty gives a sheet with a one-line note saying what is not available. ``currency`` formats the
    amounts in the notes."""
    return [
        summary_sheet(facts, bridge, currency),
        _quotas_sheet(quotas, currency),
        _territories_sheet(territory_balance),
        _assignments_sheet(territory_assignment),
        _hiring_sheet(hiring_plan, currency),
        _compensation_sheet(compensation_plan),
        _payouts_sheet(payouts, currency),
        _actions_sheet(actions),
    ]
