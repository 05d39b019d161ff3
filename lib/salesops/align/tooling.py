"""Step 4 technology: a review of the sales tools against the article's five questions, and the tool
categories the company's stage needs but does not have.

The questions (each answered yes, no or unknown per tool in the params):

* ``solves_current_obstacle`` — does it help with the obstacle the sales team faces now?
* ``works_well`` — does it work well today?
* ``integrates`` — is it integrated with the other tools (the CRM above all)?
* ``offers_training`` — does the vendor offer training?
* ``fits_next_stage`` — will it carry the business to its next stage?

**Verdict**, the first rule that applies:

1. ``replace`` — it does not solve the current obstacle, or will not fit the next stage (a "no" to either):
   the wrong tool, however well it runs;
2. ``fix or retrain`` — otherwise, it does not work well, does not integrate, or offers no training (a "no"
   to any): the right tool, badly set up, disconnected or not learned;
3. ``unknown`` — otherwise, some answer is unknown: a tool is kept only on five yes;
4. ``keep`` — yes to all five.

**Score** = the number of yes answers (0-5); ``known_answers`` says how many of the five were answered.
**Gaps**: categories the stage needs (``ToolingSettings.needed_categories``; by default a CRM under $1M ARR,
forecasting and enablement from $1M, a compensation tool from $10M — the stages of ``organisation.py``) with
no tool in the inventory, or only tools to replace. Categories compare case-insensitively.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, NamedTuple

import pandas as pd
from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from salesops.align.organisation import STAGES
from salesops.contract.schema import TEXT_DTYPE
from salesops.settings.base import Settings
from salesops.settings.fields import ListOf, MappingOf, Money, Rule, Text

#: The article's questions: answer field -> the question.
QUESTIONS: dict[str, str] = {
    "solves_current_obstacle": "Does it help with the obstacle the sales team faces now?",
    "works_well": "Does it work well today?",
    "integrates": "Is it integrated with the other tools?",
    "offers_training": "Does the vendor offer training?",
    "fits_next_stage": "Will it carry the business to its next stage?",
}
#: Answer field -> what a "no" means, in the verdict's reason.
_NO_WORDS: dict[str, str] = {
    "solves_current_obstacle": "does not solve the current obstacle",
    "works_well": "does not work well",
    "integrates": "is not integrated",
    "offers_training": "offers no training",
    "fits_next_stage": "will not fit the next stage",
}
_REPLACE_IF_NO = ("solves_current_obstacle", "fits_next_stage")
_FIX_IF_NO = ("works_well", "integrates", "offers_training")
VERDICTS: tuple[str, ...] = ("keep", "fix or retrain", "replace", "unknown")

DEFAULT_NEEDED_CATEGORIES: dict[str, tuple[str, ...]] = {
    "under_1m": ("CRM",),
    "1m_to_10m": ("CRM", "forecasting", "enablement"),
    "10m_plus": ("CRM", "forecasting", "enablement", "compensation"),
}

REVIEW_COLUMNS: tuple[str, ...] = (
    "name", "category", *QUESTIONS, "known_answers", "score", "verdict", "reason", "annual_cost", "notes",
)
GAP_COLUMNS: tuple[str, ...] = ("category", "status", "tools")


# --------------------------------------------------------------------------------------------------
# settings


#: An answer to one of the five questions: true, false, or null (unknown).
Answer = Annotated[bool | None, BeforeValidator(Rule("true, false or null (unknown)", True, "yes",
                                                     lambda value: isinstance(value, bool), optional=True))]
#: Per stage, the tool categories it needs.
CategoriesByStage = MappingOf(ListOf(Text("CRM"), "tool categories", ["CRM", "forecasting"]),
                              "stage to a list of tool categories", {"10m_plus": ["CRM", "compensation"]}, keys=STAGES)


class Tool(Settings):
    """One tool of the inventory and the answers to the five questions (true, false, or null = unknown)."""

    name: Text("HubSpot") = Field(description="What the tool is called, e.g. 'Salesforce Sales Cloud'.")
    category: Text("CRM") = Field(
        description="What it is for: CRM, forecasting, compensation, enablement, engagement, data enrichment, "
                    "reporting, ... (any text; compared case-insensitively).")
    solves_current_obstacle: Answer = Field(None, description=QUESTIONS["solves_current_obstacle"])
    works_well: Answer = Field(None, description=QUESTIONS["works_well"])
    integrates: Answer = Field(None, description=QUESTIONS["integrates"])
    offers_training: Answer = Field(None, description=QUESTIONS["offers_training"])
    fits_next_stage: Answer = Field(None, description=QUESTIONS["fits_next_stage"])
    notes: str | None = Field(None, description="Anything the reviewer should know (optional).")
    annual_cost: Money(example=24_000, optional=True) = Field(
        None, description="Yearly cost, company currency (>= 0); null = unknown.")


class ToolingSettings(Settings):
    """The sales-tool inventory and what each stage needs (``tooling:`` in the params)."""

    tools: tuple[Tool, ...] = Field(
        (), description="The tools the sales team uses, one entry each. Empty (default): not reviewed.")
    needed_categories: Annotated[CategoriesByStage,
                                 AfterValidator(lambda given: {**DEFAULT_NEEDED_CATEGORIES, **given})] = Field(
        default_factory=lambda: dict(DEFAULT_NEEDED_CATEGORIES),
        description="Tool categories each stage needs, {under_1m, 1m_to_10m, 10m_plus: [category, ...]}; a stage "
                    "not given keeps its default.")

    @model_validator(mode="after")
    def _unique_names(self) -> "ToolingSettings":
        names = [tool.name.lower() for tool in self.tools]
        repeated = sorted({tool.name for tool in self.tools if names.count(tool.name.lower()) > 1})
        if repeated:
            raise ValueError(f"tools must be listed once each; {repeated} appear more than once (merge the entries)")
        return self


# --------------------------------------------------------------------------------------------------
# the review


def tool_verdict(answers: Mapping[str, bool | None]) -> tuple[str, str]:
    """Verdict (one of :data:`VERDICTS`, by the rule of the module docstring) and the reason, in words, for
    the answers to the five questions (missing keys and ``None`` are unknown)."""
    unknown_keys = [key for key in answers if key not in QUESTIONS]
    if unknown_keys:
        raise ValueError(f"answers has unknown question(s) {unknown_keys}; questions are {', '.join(QUESTIONS)}")
    value = {key: answers.get(key) for key in QUESTIONS}
    for verdict, keys in (("replace", _REPLACE_IF_NO), ("fix or retrain", _FIX_IF_NO)):
        noes = [_NO_WORDS[key] for key in keys if value[key] is False]
        if noes:
            return verdict, "; ".join(noes)
    unanswered = [key.replace("_", " ") for key in QUESTIONS if value[key] is None]
    if unanswered:
        return "unknown", f"no known problem, but unanswered: {', '.join(unanswered)}"
    return "keep", "yes to all five questions"


class ToolingReview(NamedTuple):
    """The per-tool review, the needed categories without a (good) tool, and a sentence for the page."""

    tools: pd.DataFrame
    gaps: pd.DataFrame
    note: str


def _empty(columns) -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series([], dtype=object) for column in columns})


def tooling_review(settings: ToolingSettings, stage: str) -> ToolingReview:
    """Review ``settings.tools`` for a company at ``stage`` (a key of ``organisation.STAGES``).

    ``tools``: one row per tool in inventory order — ``name``, ``category``, the five answers (boolean,
    missing = unknown), ``known_answers`` and ``score`` (yes count), ``verdict``, ``reason``, ``annual_cost``
    (currency, NaN unknown), ``notes``. ``gaps``: one row per category the stage needs with no tool
    (``status`` "no tool") or only tools whose verdict is replace (``status`` "only tools to replace",
    ``tools`` names them). With an empty inventory both frames are empty and ``note`` says what to add to the
    params.
    """
    if not isinstance(settings, ToolingSettings):
        raise ValueError(f"settings must be a ToolingSettings; got {type(settings).__name__}")
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {', '.join(STAGES)} (organisation.organisation_stage); got {stage!r}")
    needed = settings.needed_categories[stage]
    if not settings.tools:
        note = ("No sales tools are listed, so none was reviewed: add each tool under tooling.tools in the params "
                "(name, category, annual_cost, and true/false for solves_current_obstacle, works_well, integrates, "
                f"offers_training, fits_next_stage). At this stage check at least: {', '.join(needed)}.")
        return ToolingReview(_empty(REVIEW_COLUMNS), _empty(GAP_COLUMNS), note)

    rows = []
    for tool in settings.tools:
        answers = {key: getattr(tool, key) for key in QUESTIONS}
        verdict, reason = tool_verdict(answers)
        rows.append({"name": tool.name, "category": tool.category, **answers,
                     "known_answers": sum(a is not None for a in answers.values()),
                     "score": sum(a is True for a in answers.values()), "verdict": verdict, "reason": reason,
                     "annual_cost": math.nan if tool.annual_cost is None else tool.annual_cost, "notes": tool.notes})
    review = pd.DataFrame.from_records(rows, columns=REVIEW_COLUMNS)
    for key in QUESTIONS:
        review[key] = review[key].astype("boolean")
    for column in ("name", "category", "verdict", "reason", "notes"):
        review[column] = review[column].astype(TEXT_DTYPE)
    review = review.astype({"known_answers": "int64", "score": "int64", "annual_cost": "float64"})

    gaps = []
    category = review["category"].str.lower()
    for name in needed:
        mine = review.loc[(category == name.lower()).to_numpy(dtype=bool)]
        if mine.empty:
            gaps.append((name, "no tool", ""))
        elif mine["verdict"].eq("replace").all():
            gaps.append((name, "only tools to replace", ", ".join(mine["name"])))
    gap_frame = pd.DataFrame.from_records(gaps, columns=GAP_COLUMNS).astype(
        {column: TEXT_DTYPE for column in GAP_COLUMNS})
    counts = review["verdict"].value_counts()
    summary = ", ".join(f"{int(counts[v])} {v}" for v in VERDICTS if v in counts)
    gap_words = (f"; needed at this stage but missing or to replace: {', '.join(gap_frame['category'])}"
                 if len(gap_frame) else "; every category the stage needs has a tool")
    return ToolingReview(review, gap_frame, f"{len(review)} tool(s) reviewed: {summary}{gap_words}.")
