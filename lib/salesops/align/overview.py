"""Step 4's page in numbers and words, and the quarter's one-screen executive summary (the cards and
sentences the index page shows): last quarter against plan, forecast against target, the capacity gap and
hires, quotas, the organisation. Nothing here defines a measure: it reads the artifacts of steps 1-4.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from salesops.formats import money, number, percent
from salesops.report.present import Metric

if TYPE_CHECKING:  # only for annotations: the params are put together above every step
    from salesops.plan_params import Params


def _blended(comparison: pd.DataFrame) -> pd.Series:
    return comparison[comparison["method"] == "blended"].set_index("scenario")["bookings"]


def summary_metrics(comparison: pd.DataFrame, target: float, gaps: pd.DataFrame, costs: pd.DataFrame,
                    quotas: pd.DataFrame, params: Params) -> list[Metric]:
    """The executive summary's cards: forecast against target, capacity gap, hires and quotas."""
    currency, quarter, scenario = params.currency, params.quarter, params.supply.plan_scenario
    blended = _blended(comparison)
    quarter_gaps = gaps[(gaps["scenario"] == scenario) & (gaps["quarter"] == quarter)]
    short = float(quarter_gaps["gap_after"].clip(lower=0).sum())
    plan_costs = costs.set_index("scenario").loc[scenario]
    hires = int(plan_costs["ae_hires"] + plan_costs["support_hires"])
    return [
        Metric(f"Forecast {quarter}, base", float(blended["base"]), money(blended["base"], currency, compact=True),
               f"{money(blended['downside'], currency, compact=True)} – {money(blended['upside'], currency, compact=True)}"
               f" · {percent(blended['base'] / target - 1, signed=True)} vs target"),
        Metric(f"Target {quarter}", float(target), money(target, currency, compact=True),
               f"quotas total {money(quotas['quota'].sum(), currency, compact=True)}"),
        Metric(f"Capacity gap {quarter}", short, money(short, currency, compact=True),
               f"{scenario} demand above what the team can book" if short else "the team can serve the demand"),
        Metric(f"Hires ({scenario})", float(hires), number(hires),
               f"{number(plan_costs['ae_hires'])} account executives · "
               f"{money(plan_costs['added_payroll'], currency, compact=True)} payroll in the horizon"),
    ]


def summary_findings(review: list[str], comparison: pd.DataFrame, target: float, gaps: pd.DataFrame,
                     hiring_plan: pd.DataFrame, quotas: pd.DataFrame, organisation_sentence: str,
                     params: Params) -> list[str]:
    """The executive summary's sentences: last quarter against plan (``review``, from step 1), then this
    quarter's forecast, capacity, hires, quotas and organisation."""
    currency, quarter = params.currency, params.quarter
    blended = _blended(comparison)
    sentences = list(review)
    gap = blended["base"] / target - 1
    sentences.append(
        f"{quarter}: {money(blended['base'], currency, compact=True)} expected "
        f"({money(blended['downside'], currency, compact=True)} to {money(blended['upside'], currency, compact=True)}),"
        f" {percent(abs(gap))} {'above' if gap >= 0 else 'below'} the target of {money(target, currency, compact=True)}.")
    quarter_gaps = gaps[(gaps["scenario"] == params.supply.plan_scenario) & (gaps["quarter"] == quarter)]
    short = quarter_gaps[quarter_gaps["gap_after"] > 0]
    if len(short):
        sentences.append("Capacity falls short this quarter in " + ", ".join(
            f"{s} ({money(g, currency, compact=True)})" for s, g in zip(short["segment"], short["gap_after"]))
            + ": hires cannot arrive and ramp in time, so it is closed by moving accounts and leads, incentives "
              "or partners.")
    else:
        sentences.append(f"The team can serve the {params.supply.plan_scenario} demand of {quarter}.")
    ae = hiring_plan[hiring_plan["role"] == "AE"] if len(hiring_plan) else hiring_plan
    if len(ae):
        first = ae.sort_values("ds").iloc[0]
        sentences.append(f"Hire {number(ae['hires'].sum())} account executives over {quarter} and the "
                         f"{params.forecast.horizon_quarters} quarters after, the first starting {first['ds']:%b %Y}; "
                         f"supporting roles as step 3 lists.")
    new = quotas[quotas["new_hire"]] if "new_hire" in quotas else quotas.iloc[0:0]
    sentences.append(
        f"Quotas add up to {money(quotas['quota'].sum(), currency, compact=True)} "
        f"(target + {percent(params.quotas.over_assignment)}) over {number(len(quotas))} account executives"
        + (f", {number(len(new))} of them new hires on ramped quotas." if len(new) else "."))
    sentences += quota_evidence_sentences(quotas, params)
    if organisation_sentence:
        sentences.append(organisation_sentence)
    return sentences


def assumptions(target: float, target_basis: str, params: Params) -> pd.DataFrame:
    """What the plan a sales leader signs assumes rather than measures, one row each with its value and the
    param that sets it: the target's basis, over-assignment, the quota split, the ramp of new hires' quotas and
    the compensation plan of account executives. Columns figure, value, basis (text)."""
    quotas_, comp = params.quotas, params.compensation.plans.get("AE")
    from_params = "set in the params" in target_basis
    rows = [("Target", money(target, params.currency), "assumed (collect.target)" if from_params else
             f"{target_basis}: the bookings measured, the growth assumed"),
            ("Quotas above the target", percent(quotas_.over_assignment, 0), "assumed (quotas.over_assignment)"),
            ("Weight of each rep's measured capacity in the split", percent(quotas_.capacity_weight, 0),
             "assumed (quotas.capacity_weight); the rest by territory potential"),
            ("A new hire's ramp (share of a full quota by month)",
             " → ".join(percent(share, 0) for share in params.supply.ramp_curve), "assumed (supply.ramp_curve)")]
    if comp is not None:
        rows += [("Account executives' pay mix (variable share of on-target earnings)", percent(comp.pay_mix, 0),
                  "assumed (compensation.plans.AE.pay_mix)"),
                 ("Accelerator tiers", ", ".join(f"from {percent(t.from_attainment, 0)}: ×{t.rate_multiplier:g}"
                                                 for t in comp.tiers), "assumed (compensation.plans.AE.tiers)")]
    return pd.DataFrame(rows, columns=["figure", "value", "basis"]).astype("string")


def quota_evidence_sentences(quotas: pd.DataFrame, params: Params) -> list[str]:
    """How the quotas follow each rep's record: the rank (Spearman) correlation between the quotas and the last
    ``supply.history_months``' bookings of the reps measured (planned hires and reps flagged for review left
    out), and the reps flagged for review (``align.plan.quota_carriers``). Empty without those columns."""
    if not {"recent_bookings", "review"} <= set(quotas.columns):
        return []
    sentences = []
    months = params.supply.history_months
    measured = quotas[quotas["recent_bookings"].notna() & ~quotas["review"].astype(bool)]
    if len(measured) >= 3 and measured["recent_bookings"].nunique() > 1 and measured["quota"].nunique() > 1:
        rho = float(measured["quota"].rank().corr(measured["recent_bookings"].rank()))
        sentences.append(
            f"Quotas follow each rep's own record: their rank correlation with the reps' bookings of the last "
            f"{months} months is {rho:.2f} (1: the same order; {number(len(measured))} reps measured; a short record "
            "counts partly, the rest is the segment's rate).")
    flagged = quotas[quotas["review"].astype(bool)]
    if len(flagged):
        names = flagged["name"].astype(object).fillna(flagged["rep_id"].astype(object)).astype(str).tolist()
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        sentences.append(
            f"{number(len(flagged))} account executive{'s' if len(flagged) > 1 else ''} won nothing in the last "
            f"{months} months ({shown}): their quota rests on territory potential alone and should be reviewed "
            "by their manager before it is signed.")
    return sentences


def organisation_sentence(recommendation: pd.DataFrame, arr: float, params: Params) -> str:
    """One sentence: the stage by ARR and the sales-ops roles it calls for, and which are missing."""
    needed = recommendation[recommendation["needed"].astype(bool)]
    titles = ", ".join(needed["title"].astype(str))
    missing = needed[needed["present"].eq(False).fillna(False).to_numpy(bool)]
    text = (f"At {money(arr, params.currency, compact=True)} ARR the sales-operations team should have: {titles}")
    if recommendation["present"].isna().all():
        return text + " (list today's roles under organisation.current_roles to see what is missing)."
    if len(missing):
        return text + "; missing: " + ", ".join(missing["title"].astype(str)) + "."
    return text + "; all are in place."


def routing_sentence(expected: pd.DataFrame) -> str:
    """What routing the open leads by the rules changes in expected conversions."""
    by = expected.set_index("assignment")
    today, routed = by.loc["today"], by.loc["routed"]
    change = routed["expected_conversions"] - today["expected_conversions"]
    if abs(change) < max(1.0, 0.01 * today["expected_conversions"]):
        return (f"Routing the {number(routed['leads'])} open leads by the rules changes little: about "
                f"{number(routed['expected_conversions'])} expected conversions either way; it keeps the load even.")
    return (f"Routing the {number(routed['leads'])} open leads by the rules: {number(routed['expected_conversions'])} "
            f"expected conversions against {number(today['expected_conversions'])} with today's owners "
            f"({'+' if change > 0 else '−'}{number(abs(change))}; an upper estimate).")


def quota_summary(quota_table: pd.DataFrame) -> pd.DataFrame:
    """Quotas per segment: reps, new_hires, ramping (ramped share below 1), quota (sum) and
    full_quota (median quota of the fully ramped reps), company currency."""
    ramped = quota_table[quota_table["ramped_share"] >= 1]
    out = quota_table.groupby("segment", as_index=False).agg(
        reps=("rep_id", "size"), new_hires=("new_hire", "sum"),
        ramping=("ramped_share", lambda share: int((share < 1).sum())), quota=("quota", "sum"))
    out["full_quota"] = out["segment"].map(ramped.groupby("segment")["quota"].median()).astype(float)
    return out.astype({"new_hires": int})
