"""Step 4 action list: what to do this quarter, who owns it, by when, what it moves and by how much.

The notebook turns the findings of steps 1-4 into **candidate actions** with the small constructors below
(each takes the artifact frame of a step and returns candidate rows), adds the actions written in the params,
and :func:`build_actions` fills in owners and due dates and ranks the list.

Candidate columns (:data:`CANDIDATE_COLUMNS`; the first five required, the rest optional):

* ``title`` — the action, imperative ("Hire 2 AEs for SMB to start in February 2027");
* ``kind`` — one of :data:`KINDS`; it picks the default owner and due date;
* ``metric`` — the metric the action moves ("win rate", "data quality of opportunities");
* ``expected_effect`` — the effect in words;
* ``source`` — the step and analysis it comes from ("step 1: data quality");
* ``owner`` — a role ("Head of Sales", "Sales operations"); missing: ``ActionSettings.owners[kind]``;
* ``due_date`` — missing: quarter start + ``ActionSettings.due_days[kind]`` days;
* ``impact`` — expected bookings effect in the quarter, company currency (NaN: not known);
* ``cost`` — what the action costs, company currency (NaN: not known or none);
* ``detail`` — how, in one or two sentences.

**Ranking**: by ``impact``, largest first (actions with a known currency effect before those without), then
by due date, earliest first, then in input order (candidates, then the params' actions). ``priority`` is
1..n in that order; ``on_summary`` marks the first ``top_n``. Inputs are never modified. Every constructor
that knows an impact gives it in one unit, bookings of the planned quarter at stake: a capacity gap hiring cannot
close, quotas above capacity, a coaching gap if every bottom-quartile rep closed it (step 1's ``coaching``).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated

import numpy as np
import pandas as pd
from pydantic import AfterValidator, Field

from salesops import deals
from salesops.checks import as_timestamp
from salesops.collect import performers, quality
from salesops.contract.schema import TEXT_DTYPE
from salesops.demand.plan.pipeline_gap import opportunities
from salesops.formats import money
from salesops.settings.base import Settings, settings_or_default
from salesops.settings.fields import Count, Days, MappingOf, Number, OneOf, Text

#: Kinds of action, each with a default owner and a default number of days to the due date.
KINDS: tuple[str, ...] = ("data_quality", "coaching", "hiring", "quota", "compensation", "organisation", "tooling",
                          "pipeline", "other")
DEFAULT_OWNERS: dict[str, str] = {
    "pipeline": "Marketing and sales development",
    "data_quality": "Sales operations", "coaching": "Sales managers", "hiring": "Head of Sales",
    "quota": "Head of Sales", "compensation": "Head of Sales", "organisation": "Head of Sales",
    "tooling": "Sales operations", "other": "Head of Sales",
}
DEFAULT_DUE_DAYS: dict[str, int] = {
    "pipeline": 30,
    "data_quality": 14, "coaching": 30, "hiring": 30, "quota": 7, "compensation": 21, "organisation": 60,
    "tooling": 45, "other": 30,
}

REQUIRED_CANDIDATE_COLUMNS: tuple[str, ...] = ("title", "kind", "metric", "expected_effect", "source")
CANDIDATE_COLUMNS: tuple[str, ...] = (*REQUIRED_CANDIDATE_COLUMNS, "owner", "due_date", "impact", "cost", "detail")
ACTION_COLUMNS: tuple[str, ...] = (
    "priority", "title", "kind", "owner", "due_date", "metric", "expected_effect", "impact", "cost", "detail",
    "source", "on_summary",
)
_TEXT_COLUMNS = ("title", "kind", "metric", "expected_effect", "source", "owner", "detail")

#: The ``source`` of every action the steps find, and the artifact holding the table its page shows (None: a
#: section built from the params alone, shown on every run). An action comes only from an analysis that ran and
#: is shown: a test walks each action of a run to its source's table.
ACTION_SOURCES: dict[str, str | None] = {
    "step 2: pipeline to create": "pipeline_to_create",
    "step 1: data quality": "quality_checks",
    "step 1: top vs bottom performers": "coaching",
    "step 3: capacity plan": "hiring_plan",
    "step 3: capacity": "capacity_gaps",
    "step 4: quotas": "quotas",
    "step 3: inventory": "inventory_plan",
    "step 4: organisation": "organisation",
    "step 4: tooling review": None,
}
_MONEY_COLUMNS = ("impact", "cost")


# --------------------------------------------------------------------------------------------------
# settings


#: An amount in the company currency, negative allowed; null: not known.
Amount = Number("an amount", 50_000, note="company currency", optional=True)


def _with_default(defaults: dict) -> AfterValidator:
    """The defaults of every kind, with the given kinds replaced."""
    return AfterValidator(lambda given: {**defaults, **given})


class ActionItem(Settings):
    """An action written in the params (``actions.extra``), with the fields of a candidate row."""

    title: Text("Raise MM quotas by 5 %") = Field(description="The action, imperative, e.g. 'Raise MM quotas by 5 %'.")
    kind: OneOf(KINDS, example="quota") = Field(
        "other", description=f"One of {', '.join(KINDS)}: picks the default owner and due date.")
    metric: Text("bookings") = Field(description="The metric the action moves, e.g. 'bookings'.")
    expected_effect: Text("+5% bookings") = Field(description="The effect in words.")
    owner: str | None = Field(None, description="Who owns it (a role); null: the kind's default owner.")
    due_date: dt.date | None = Field(None, description="YYYY-MM-DD; null: quarter start + the kind's due days.")
    impact: Amount = Field(None, description="Expected bookings effect this quarter, company currency.")
    cost: Amount = Field(None, description="What it costs, company currency.")
    detail: str | None = Field(None, description="How, in a sentence or two.")
    source: Text("params") = Field("params", description="Where it comes from.")


class ActionSettings(Settings):
    """The action list (``actions:`` in the params)."""

    extra: tuple[ActionItem, ...] = Field((), description="Actions written by hand, added to those the steps find.")
    top_n: Count("actions", 1, 50, example=5) = Field(
        5, description="Actions shown on the executive summary, highest priority first. 1-50.")
    owners: Annotated[MappingOf(Text("Head of Sales"), "kind of action to its owner (a role)",
                                {"hiring": "Head of Sales"}, keys=KINDS), _with_default(DEFAULT_OWNERS)] = Field(
        default_factory=lambda: dict(DEFAULT_OWNERS),
        description="Default owner (a role) per kind of action; kinds not given keep their default.")
    due_days: Annotated[MappingOf(Days(0, 365, example=30), "kind of action to days after the quarter's first day",
                                  {"hiring": 30}, keys=KINDS), _with_default(DEFAULT_DUE_DAYS)] = Field(
        default_factory=lambda: dict(DEFAULT_DUE_DAYS),
        description="Default days from the quarter's first day to the due date, per kind (0-365); kinds not given "
                    "keep their default.")


# --------------------------------------------------------------------------------------------------
# candidate rows


def _candidates(records: list[dict]) -> pd.DataFrame:
    """Candidate rows in :data:`CANDIDATE_COLUMNS` with their dtypes (missing optional fields are missing)."""
    frame = pd.DataFrame.from_records(records, columns=CANDIDATE_COLUMNS)
    for column in _TEXT_COLUMNS:
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None).astype(TEXT_DTYPE)
    frame["due_date"] = pd.to_datetime(frame["due_date"]).astype("datetime64[ns]")
    for column in _MONEY_COLUMNS:
        frame[column] = frame[column].astype("float64")
    return frame


def _check_frame(frame, name: str, columns) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame; got {type(frame).__name__}")
    deals.check_columns(frame, columns, name)


def _optional_impact(frame: pd.DataFrame) -> np.ndarray:
    if "impact" not in frame.columns:
        return np.full(len(frame), np.nan)
    return frame["impact"].astype("float64").to_numpy()


def actions_from_quality(quality_checks: pd.DataFrame) -> pd.DataFrame:
    """One ``data_quality`` action per data-quality check with rows affected (step 1's ``quality_checks``:
    ``table``, ``check``, ``severity``, ``rows_affected``), most urgent first as in ``quality.fix_list``.

    ``title`` "Fix: <the problem>", ``detail`` who should do what, ``metric`` "data quality of <table>",
    ``expected_effect`` the rows corrected. The effect on bookings is not known (``impact`` NaN).
    """
    _check_frame(quality_checks, "quality_checks", ("table", "check", "severity", "rows_affected"))
    fixes = quality.fix_list(quality_checks, top=None)
    return _candidates([{
        "title": f"Fix: {fix.problem}",
        "kind": "data_quality",
        "metric": f"data quality of {fix.table}",
        "expected_effect": f"{fix.rows:,} row(s) of {str(fix.table).replace('_', ' ')} corrected, so the analyses "
                           "that use them can be trusted",
        "source": "step 1: data quality",
        "detail": fix.action,
    } for fix in fixes.itertuples(index=False)])


def _coaching_label(metric: str) -> str:
    spec = performers.COACHING.get(metric, {})
    return spec.get("name") or performers.OUTCOME_LABELS.get(metric) or metric.replace("_", " ")


def _joined(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def actions_from_coaching(coaching: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """One ``coaching`` action per row of step 1's ``coaching`` table (``performers.coaching_table``: ``metric``,
    ``family``, ``gap``: (bottom - top) / top, ``suggested_training``; optional ``metrics``: every metric the
    advice answers, comma-separated; ``impact``: bookings at stake in the quarter, currency; ``bottom_reps``,
    ``effect_per_rep_month`` and ``evidence``), in the table's order (largest effect first).

    ``title`` "Coach bottom-quartile reps on <metrics>", ``detail`` the suggested training and the evidence,
    ``expected_effect`` the bookings at stake when the table prices the gap (a measured association, an upper
    bound: every bottom-quartile rep closing the gap for the whole quarter), else the gap it closes.
    """
    _check_frame(coaching, "coaching", ("metric", "family", "gap", "suggested_training"))
    impact = _optional_impact(coaching)
    records = []
    for index, row in enumerate(coaching.itertuples(index=False)):
        cited = getattr(row, "metrics", None)
        metrics = str(cited).split(", ") if isinstance(cited, str) and cited else [str(row.metric)]
        label = _joined([_coaching_label(metric) for metric in metrics])
        effect, reps = getattr(row, "effect_per_rep_month", math.nan), getattr(row, "bottom_reps", math.nan)
        evidence = getattr(row, "evidence", None)
        priced = not (pd.isna(impact[index]) or pd.isna(effect) or pd.isna(reps))
        records.append({
            "title": f"Coach bottom-quartile reps on {label}",
            "kind": "coaching",
            "metric": _coaching_label(str(row.metric)),
            "expected_effect": (f"up to {money(impact[index], currency, compact=True)} of bookings in the quarter if the "
                                f"{reps:.0f} bottom-quartile reps closed the gap ({money(effect, currency, compact=True)} "
                                "a month per rep; a "
                                "measured association, not a proven cause)" if priced else
                                f"closes the {abs(float(row.gap)):.0%} gap between bottom- and top-quartile reps "
                                f"on {label}"),
            "source": "step 1: top vs bottom performers",
            "impact": impact[index],
            "detail": str(row.suggested_training) + (f". {evidence}" if isinstance(evidence, str) and evidence
                                                     else ""),
        })
    return _candidates(records)


def actions_from_hiring(hiring_plan: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """One ``hiring`` action per row of a hiring plan with hires above 0.

    ``hiring_plan`` columns: ``role`` (AE, SDR, ...), ``segment`` (may be missing), ``month`` (the month the
    hires start: any date in it), ``hires`` (people, > 0; fractions allowed for part-time), ``cost`` (what the
    hires cost in the plan, currency; missing when unknown, and the action then says so); optional ``impact``
    (bookings capacity they add this quarter, currency) and ``last_month`` (hires spread from ``month`` to this month: "to start from March to October
    2027"). ``due_date`` is the first day of the (first) start month: the hires must be on board by then.
    """
    _check_frame(hiring_plan, "hiring_plan", ("role", "segment", "month", "hires", "cost"))
    hires = hiring_plan["hires"].astype("float64").to_numpy()
    if np.isnan(hires).any() or (hires < 0).any():
        raise ValueError("hiring_plan.hires must be a number of people of 0 or more on every row")
    months = pd.to_datetime(hiring_plan["month"], errors="coerce", format="mixed")
    if months.isna().any():
        raise ValueError(f"hiring_plan.month must be a date in the start month, e.g. '2027-02-01'; got "
                         f"{list(hiring_plan['month'][months.isna()])[:3]}")
    starts = months.dt.to_period("M").dt.start_time
    impact = _optional_impact(hiring_plan)
    records = []
    for index, row in enumerate(hiring_plan.itertuples(index=False)):
        if hires[index] == 0:
            continue
        plural = "s" if hires[index] != 1 else ""
        segment = "" if pd.isna(row.segment) else f" for {row.segment}"
        month = starts.iloc[index].strftime("%B %Y")
        last = pd.Timestamp(getattr(row, "last_month", None) or starts.iloc[index]).to_period("M").start_time
        when = (f"in {month}" if last == starts.iloc[index] else
                f"from {starts.iloc[index]:%B} to {last:%B %Y}" if last.year == starts.iloc[index].year else
                f"from {month} to {last:%B %Y}")
        records.append({
            "title": f"Hire {hires[index]:g} {row.role}{plural}{segment} to start {when}",
            "kind": "hiring",
            "metric": f"{row.role} capacity",
            "expected_effect": f"{hires[index]:g} more {row.role}{plural}{segment} from {month}, "
                               + (f"at a cost of {money(row.cost, currency)}" if pd.notna(row.cost) else
                                  "at a cost not known (no on-target earnings for the role in the data or params)"),
            "source": "step 3: capacity plan",
            "due_date": starts.iloc[index],
            "impact": impact[index],
            "cost": float(row.cost),
        })
    return _candidates(records)


def actions_from_pipeline(need: pd.DataFrame, to_create: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """One ``pipeline`` action when the open pipeline covers the target less than the coverage needed
    (``demand.plan.pipeline_gap.pipeline_need``: bookings_to_add above 0) and the history measures how many
    opportunities to create (``to_create``, per month): create that many a month. Its impact is the bookings the
    new pipeline must add in the quarter; due at the end of the first month, when its count can be checked.
    None otherwise (an empty frame)."""
    _check_frame(need, "need", ("coverage", "coverage_needed", "bookings_to_add"))
    row = need.iloc[0]
    if not row["bookings_to_add"] > 0 or to_create.empty:
        return _candidates([])
    per_month, leads = int(to_create["opportunities"].iloc[0]), to_create["leads"].iloc[0]
    first, last = pd.Timestamp(to_create["ds"].min()), pd.Timestamp(to_create["ds"].max())
    return _candidates([{
        "title": f"Create {opportunities(per_month)} a month from {first:%B} to {last:%B %Y}",
        "kind": "pipeline", "metric": "pipeline coverage",
        "expected_effect": f"{money(row['bookings_to_add'], currency, compact=True)} more bookings in the quarter; "
                           f"coverage from {row['coverage']:.2f}× toward the {row['coverage_needed']:.2f}× needed",
        "source": "step 2: pipeline to create",
        "due_date": first + pd.offsets.MonthEnd(0),
        "impact": float(row["bookings_to_add"]),
        "detail": (f"About {int(leads):,} new leads a month at the measured lead-to-opportunity conversion; "
                   if pd.notna(leads) else "") + "the count is checked at the end of each month.",
    }])


def actions_from_organisation(recommendation: pd.DataFrame) -> pd.DataFrame:
    """One ``organisation`` action per role the stage needs and the company lacks (rows of
    ``organisation.recommend_organisation`` with ``needed`` true and ``present`` false)."""
    _check_frame(recommendation, "recommendation", ("title", "needed", "present", "responsibilities",
                                                    "recommendation"))
    missing = recommendation.loc[(recommendation["needed"].astype(bool)
                                  & recommendation["present"].eq(False).fillna(False)).to_numpy(dtype=bool)]
    return _candidates([{
        "title": f"Hire or appoint a {str(row.title).lower()}",
        "kind": "organisation",
        "metric": "sales-operations coverage",
        "expected_effect": f"someone who {row.responsibilities}",
        "source": "step 4: organisation",
        "detail": str(row.recommendation),
    } for row in missing.itertuples(index=False)])


def actions_from_tooling(tools: pd.DataFrame, gaps: pd.DataFrame) -> pd.DataFrame:
    """One ``tooling`` action per tool to replace or fix (``tooling.tooling_review(...).tools``: ``name``,
    ``category``, ``verdict``, ``reason``, ``annual_cost``) and per needed category without a tool
    (``.gaps``: ``category``, ``status``). Tools to keep or not yet judged give none."""
    _check_frame(tools, "tools", ("name", "category", "verdict", "reason", "annual_cost"))
    _check_frame(gaps, "gaps", ("category", "status"))
    records = []
    for row in tools.itertuples(index=False):
        if row.verdict not in ("replace", "fix or retrain"):
            continue
        replace = row.verdict == "replace"
        records.append({
            "title": f"{'Replace' if replace else 'Fix or retrain the team on'} {row.name} ({row.category})",
            "kind": "tooling",
            "metric": f"{row.category} tooling",
            "expected_effect": f"removes the problem: {row.name} {row.reason}",
            "source": "step 4: tooling review",
            "cost": row.annual_cost if replace else math.nan,
            "detail": "Choose a tool that answers yes to the five questions." if replace
            else "Fix the setup or integration, or book the vendor's training.",
        })
    for row in gaps.itertuples(index=False):
        records.append({
            "title": f"Add {'an' if str(row.category)[:1].lower() in 'aeiou' else 'a'} {row.category} tool",
            "kind": "tooling",
            "metric": f"{row.category} tooling",
            "expected_effect": f"the {row.category} tool the company's stage needs ({row.status} today)",
            "source": "step 4: tooling review",
        })
    return _candidates(records)


# --------------------------------------------------------------------------------------------------
# the list


def build_actions(candidates: pd.DataFrame | None, settings: ActionSettings | None, quarter_start) -> pd.DataFrame:
    """The ranked action list: ``candidates`` (columns of :data:`CANDIDATE_COLUMNS`; ``None`` for none) and
    ``settings.extra``, owners and due dates filled in, ranked as the module docstring says.

    Columns :data:`ACTION_COLUMNS`: ``priority`` (1..n), the candidate columns (``due_date`` a date at
    midnight, ``impact`` and ``cost`` currency or NaN) and ``on_summary`` (the first ``settings.top_n``).
    """
    settings = settings_or_default(settings, ActionSettings)
    start = as_timestamp(quarter_start, "quarter_start").normalize()
    frames = [_candidates([item.model_dump() for item in settings.extra])]
    if candidates is not None:
        _check_frame(candidates, "candidates", REQUIRED_CANDIDATE_COLUMNS)
        frames.insert(0, _checked_candidates(candidates))
    actions = pd.concat(frames, ignore_index=True)

    kind = actions["kind"].astype(object)
    owner = actions["owner"].astype(object)
    blank = owner.isna().to_numpy() | owner.fillna("").astype(str).str.strip().eq("").to_numpy()
    actions["owner"] = pd.array(np.where(blank, kind.map(settings.owners), owner), dtype=TEXT_DTYPE)
    default_due = start + pd.to_timedelta(kind.map(settings.due_days).astype("int64"), unit="D")
    actions["due_date"] = actions["due_date"].fillna(default_due).astype("datetime64[ns]")

    order = actions.assign(_known=actions["impact"].notna(), _impact=actions["impact"].fillna(0.0),
                           _position=np.arange(len(actions)))
    order = order.sort_values(["_known", "_impact", "due_date", "_position"], ascending=[False, False, True, True],
                              kind="stable")
    out = order[list(CANDIDATE_COLUMNS)].reset_index(drop=True)
    out.insert(0, "priority", np.arange(1, len(out) + 1, dtype="int64"))
    out["on_summary"] = out["priority"] <= settings.top_n
    return out[list(ACTION_COLUMNS)]


def _checked_candidates(candidates: pd.DataFrame) -> pd.DataFrame:
    """``candidates`` with every optional column present and valid kinds and titles; a fresh frame."""
    kinds = candidates["kind"].astype(object)
    unknown = sorted(set(kinds[~kinds.isin(KINDS)].astype(str)))
    if unknown:
        raise ValueError(f"candidates has unknown kind(s) {unknown}; kinds are {', '.join(KINDS)}")
    titles = candidates["title"].astype(object)
    if (titles.isna() | titles.fillna("").astype(str).str.strip().eq("")).any():
        raise ValueError("candidates has action(s) without a title: every action needs one")
    present = [column for column in CANDIDATE_COLUMNS if column in candidates.columns]
    return _candidates(candidates[present].astype(object).where(candidates[present].notna(), None)
                       .to_dict("records"))
