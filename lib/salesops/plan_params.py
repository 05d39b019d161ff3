"""All params of one quarter: the model assembled from every step's settings, and ``load_params``.

This is the one place that knows every section of the params: each step keeps its settings beside its
code, :mod:`salesops.settings.loader` reads, merges and validates files against a model it is given, and
:class:`Params` puts the sections together. The runner, the notebooks (through the runner's ``start``),
the tests and the benchmarks load params with :func:`load_params`.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path

import pandas as pd
from pydantic import Field, ValidationInfo, field_validator

from salesops import fiscal_calendar
from salesops.align.actions import ActionSettings
from salesops.align.compensation import CompensationSettings
from salesops.align.organisation import OrganisationSettings
from salesops.align.quotas import QuotaSettings
from salesops.align.routing import RoutingSettings
from salesops.align.territories import TerritorySettings
from salesops.align.tooling import ToolingSettings
from salesops.collect.icp import IcpSettings
from salesops.collect.performers import PerformerSettings
from salesops.collect.rep_forecast_accuracy import AccuracySettings
from salesops.collect.scoring import ScoringSettings
from salesops.collect.settings import CollectParams
from salesops.data.settings import DataParams, SampleParams
from salesops.demand.forecast import ForecastSettings
from salesops.demand.plan import DemandSettings
from salesops.settings.base import Settings
from salesops.settings.fields import Whole
from salesops.settings.loader import ParamsError, dump, nearest_hint, params_files, read_files, validate
from salesops.supply.settings import InventorySettings, SupplySettings

__all__ = ["Params", "ParamsError", "dump", "load_params"]


class Params(Settings):
    """All params of one quarter, merged and validated."""

    quarter: str
    fiscal_year_start_month: Whole("", 1, 12, example=1, words="a calendar month number (1 = January)") = 1
    as_of: dt.date | None = None
    company: str = "Sample Company"
    currency: str = Field("USD", min_length=3, max_length=3)
    timezone: str = "UTC"
    data: DataParams = Field(default_factory=DataParams)
    sample: SampleParams = Field(default_factory=SampleParams)
    collect: CollectParams = Field(default_factory=CollectParams)
    icp: IcpSettings = Field(default_factory=IcpSettings)
    scoring: ScoringSettings = Field(default_factory=ScoringSettings)
    performers: PerformerSettings = Field(default_factory=PerformerSettings)
    accuracy: AccuracySettings = Field(default_factory=AccuracySettings)
    forecast: ForecastSettings = Field(default_factory=ForecastSettings)
    demand: DemandSettings = Field(default_factory=DemandSettings)
    supply: SupplySettings = Field(default_factory=SupplySettings)
    inventory: InventorySettings = Field(default_factory=InventorySettings)
    quotas: QuotaSettings = Field(default_factory=QuotaSettings)
    territories: TerritorySettings = Field(default_factory=TerritorySettings)
    routing: RoutingSettings = Field(default_factory=RoutingSettings)
    compensation: CompensationSettings = Field(default_factory=CompensationSettings)
    organisation: OrganisationSettings = Field(default_factory=OrganisationSettings)
    tooling: ToolingSettings = Field(default_factory=ToolingSettings)
    actions: ActionSettings = Field(default_factory=ActionSettings)

    @field_validator("quarter")
    @classmethod
    def _quarter_label(cls, quarter: str) -> str:
        if not fiscal_calendar.QUARTER_PATTERN.match(quarter):
            raise ValueError(f"{quarter!r} is not a quarter label: write YYYYQn, e.g. 2027Q1")
        return quarter

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str) -> str:
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            zones = sorted(zoneinfo.available_timezones())
            raise ValueError(
                f"unknown time zone {name!r}{nearest_hint(name, zones)}: use an IANA time-zone name such as UTC, "
                "Europe/Berlin or America/New_York"
            ) from None
        return name

    @field_validator("as_of")
    @classmethod
    def _as_of_not_after_quarter(cls, as_of: dt.date | None, info: ValidationInfo) -> dt.date | None:
        quarter, start_month = info.data.get("quarter"), info.data.get("fiscal_year_start_month")
        if as_of is None or quarter is None or start_month is None:
            return as_of
        end = fiscal_calendar.quarter_end(quarter, start_month).date()
        if as_of > end:
            raise ValueError(
                f"as_of {as_of} is after the end of quarter {quarter} ({end}): as_of is the last day of known "
                "data and must fall before or inside the planned quarter"
            )
        return as_of

    @property
    def quarter_start(self) -> pd.Timestamp:
        return fiscal_calendar.quarter_start(self.quarter, self.fiscal_year_start_month)

    @property
    def quarter_end(self) -> pd.Timestamp:
        return fiscal_calendar.quarter_end(self.quarter, self.fiscal_year_start_month)

    @property
    def data_end(self) -> pd.Timestamp:
        """Last day of known data: ``as_of`` or the day before the planned quarter starts."""
        if self.as_of is not None:
            return pd.Timestamp(self.as_of)
        return self.quarter_start - pd.Timedelta(days=1)


def load_params(quarter: str, params_path: Path | str | None = None, root: Path | None = None) -> Params:
    """Merge the defaults and the quarter's file (or ``params_path``), and validate the result once."""
    raws = read_files(params_files(quarter, params_path, root), Params)
    for path, raw in raws:
        if "quarter" in raw and str(raw["quarter"]) != quarter:
            raise ParamsError(f"{path}: sets quarter {raw['quarter']!r} but the run is for {quarter!r}")
    return validate(Params, raws, {"quarter": quarter})
