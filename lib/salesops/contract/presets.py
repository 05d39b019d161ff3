"""Mappings for the default exports of common CRMs, chosen with ``data.preset`` in the params.

A preset names, for each canonical column, the export's column names that may hold it (the first one
present is used; without an id column the deal's name serves as its id, and a repeated name is then
reported as a duplicate key), the export's values (stage names, forecast categories) and its date format. Anything
in ``data.columns`` / ``data.values`` overrides the preset. See docs/bring-your-own-data.md.

* ``salesforce``: an Opportunities report exported as CSV or Excel ("Opportunity Owner", "Account
  Name", "Stage", "Amount", "Close Date", "Created Date" ...), the standard sales-process stages, US
  dates (``3/31/2026``; ISO dates are read too).
  Stage history: OpportunityHistory as the Data Export writes it (``OpportunityId``, ``StageName``, ``Amount``,
  ``CloseDate``, ``ForecastCategory``, ``CreatedDate`` = when the change was made).
* ``hubspot``: a deals export ("Record ID", "Deal Name", "Deal Stage", "Deal owner", "Amount",
  "Create Date", "Close Date", "Associated Company"), the stages of the default sales pipeline. Stage
  history: the deal stage's property history (deal id, the stage it took, its timestamp).
* ``pipedrive``: a deals export ("Deal - ID", "Deal - Owner", "Deal - Organization", "Deal - Stage",
  "Deal - Status", "Deal - Value", "Deal - Deal created", "Deal - Expected close date", "Deal - Won time",
  "Deal - Lost time"), the stages of the default pipeline. Pipedrive keeps a won or lost deal in its last
  stage and marks the outcome in *Status*; the preset turns status won/lost into the closed stages, keeps
  the last stage as ``max_stage`` and takes the close date from the won or lost time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from salesops.contract.schema import TEXT_DTYPE


@dataclass(frozen=True)
class Preset:
    """Per table: canonical column → export column names, first present wins; values per column."""

    columns: dict[str, dict[str, tuple[str, ...]]]
    values: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    date_format: str | None = None
    prepare: Callable[[pd.DataFrame], pd.DataFrame] | None = None  # on opportunities, after renaming


def _first_present(frame: pd.DataFrame, names: tuple[str, ...]) -> pd.Series | None:
    return next((frame[name] for name in names if name in frame.columns), None)


def _pipedrive_outcomes(frame: pd.DataFrame) -> pd.DataFrame:
    """Status won/lost → closed stage; the last open stage → max_stage; won/lost time → close date."""
    status = _first_present(frame, ("Deal - Status", "Status"))
    if status is None or "stage" not in frame.columns:
        return frame
    outcome = status.astype(TEXT_DTYPE).str.strip().str.lower()
    closed = outcome.isin(["won", "lost"]).fillna(False).to_numpy(dtype=bool)
    stage = frame["stage"].astype(TEXT_DTYPE)
    changes = {
        "max_stage": stage.where(closed & stage.notna(), frame.get("max_stage", pd.NA)).astype(TEXT_DTYPE),
        "stage": stage.mask(closed, outcome.str.capitalize()),
    }
    if "close_date" in frame.columns:
        close = frame["close_date"].astype(TEXT_DTYPE)
        for word, names in (("won", ("Deal - Won time", "Won time")), ("lost", ("Deal - Lost time", "Lost time"))):
            at = _first_present(frame, names)
            if at is not None:
                take = (outcome == word).fillna(False).to_numpy(dtype=bool) & at.notna().to_numpy()
                close = close.mask(take, at.astype(TEXT_DTYPE))
        changes["close_date"] = close
    return frame.assign(**changes)


_SALESFORCE_STAGES = {
    "Prospecting": "qualify", "Qualification": "qualify", "Needs Analysis": "discover",
    "Value Proposition": "demo", "Id. Decision Makers": "demo", "Perception Analysis": "proposal",
    "Proposal/Price Quote": "proposal", "Negotiation/Review": "negotiate", "Closed Won": "closed_won",
    "Closed Lost": "closed_lost",
}
_HUBSPOT_STAGE_LABELS = {
    "Appointment Scheduled": "qualify", "Qualified To Buy": "discover", "Presentation Scheduled": "demo",
    "Decision Maker Bought-In": "proposal", "Contract Sent": "negotiate", "Closed Won": "closed_won",
    "Closed Lost": "closed_lost",
}
# HubSpot has written its default stage labels in Title Case ("Qualified To Buy"), in sentence case
# ("Qualified to buy") and mixed ("Qualified to Buy"); the preset accepts each spelling.
_HUBSPOT_STAGES = {
    spelling: stage
    for label, stage in _HUBSPOT_STAGE_LABELS.items()
    for spelling in (label, label[0] + label[1:].lower(), label.replace(" To ", " to "),
                     label.replace(" ", "").replace("-", "").lower())  # the internal value: property history, API
}
_PIPEDRIVE_STAGES = {
    "Qualified": "qualify", "Contact Made": "discover", "Demo Scheduled": "demo", "Proposal Made": "proposal",
    "Negotiations Started": "negotiate",
}

PRESETS: dict[str, Preset] = {
    "salesforce": Preset(
        columns={"opportunities": {
            "opportunity_id": ("Opportunity ID", "Opportunity ID (18)", "Id", "Opportunity Name"),
            "rep_id": ("Opportunity Owner", "Owner Name", "Owner ID"),
            "account_id": ("Account ID", "Account Name"),
            "product": ("Product Name", "Product"),
            "created_date": ("Created Date",),
            "close_date": ("Close Date",),
            "stage": ("Stage",),
            "amount": ("Amount",),
            "forecast_category": ("Forecast Category",),
            "is_closed": ("Closed",),
            "is_won": ("Won",),
        }, "opportunity_history": {  # OpportunityHistory as the Data Export writes it (API names)
            "history_id": ("Id",), "opportunity_id": ("OpportunityId",), "changed_at": ("CreatedDate",),
            "stage": ("StageName",), "amount": ("Amount",), "close_date": ("CloseDate",),
            "forecast_category": ("ForecastCategory",),
        }},
        values={"opportunities": {
            "stage": _SALESFORCE_STAGES,
            # labels (ForecastCategoryName, reports), then the API values (ForecastCategory: Forecast is Commit)
            "forecast_category": {"Pipeline": "pipeline", "Best Case": "best_case", "Commit": "commit",
                                  "Closed": "closed", "Omitted": "omitted", "BestCase": "best_case",
                                  "Forecast": "commit"},
        }},
        date_format="%m/%d/%Y",
    ),
    "hubspot": Preset(
        columns={"opportunities": {
            "opportunity_id": ("Record ID", "Deal ID", "Deal Name"),
            "rep_id": ("Deal owner", "Deal Owner"),
            "account_id": ("Associated Company (Primary)", "Associated Company", "Associated Company IDs (Primary)",
                           "Associated Company IDs"),
            "created_date": ("Create Date",),
            "close_date": ("Close Date",),
            "stage": ("Deal Stage",),
            "amount": ("Amount",),
            "forecast_category": ("Forecast category", "Forecast Category"),
        }, "opportunity_history": {  # the deal stage's property history: one row per value it took
            "opportunity_id": ("Record ID", "Deal ID", "dealId"), "changed_at": ("Timestamp", "timestamp"),
            "stage": ("Deal Stage", "value"),
        }},
        values={"opportunities": {
            "stage": _HUBSPOT_STAGES,
            "forecast_category": {"Not forecasted": "omitted", "Pipeline": "pipeline", "Best case": "best_case",
                                  "Commit": "commit", "Closed won": "closed"},
        }},
    ),
    "pipedrive": Preset(
        columns={"opportunities": {
            "opportunity_id": ("Deal - ID", "ID", "Deal - Title"),
            "rep_id": ("Deal - Owner", "Owner"),
            "account_id": ("Deal - Organization", "Organization"),
            "product": ("Deal - Product", "Product"),
            "created_date": ("Deal - Deal created", "Deal created"),
            "close_date": ("Deal - Expected close date", "Expected close date"),
            "stage": ("Deal - Stage", "Stage"),
            "amount": ("Deal - Value", "Value"),
        }},
        values={"opportunities": {
            "stage": {**_PIPEDRIVE_STAGES, "Won": "closed_won", "Lost": "closed_lost"},
            "max_stage": _PIPEDRIVE_STAGES,
        }},
        prepare=_pipedrive_outcomes,
    ),
}
