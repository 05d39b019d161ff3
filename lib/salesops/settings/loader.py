"""The params schema, loading and merging YAML files, and validation with clear messages.

``params/defaults.yaml`` holds every knob; ``params/<QUARTER>.yaml`` (or a file given with
``--params``) holds only what differs and is merged over it key by key. The merged result is
validated once, before anything runs. Unknown keys are rejected naming the file, the key and the
nearest valid key; bad values naming the key, the value and the file that set it.
"""

from __future__ import annotations

import datetime as dt
import difflib
import zoneinfo
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from salesops import calendar
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
from salesops.contract import schema
from salesops.demand.forecast import ForecastSettings
from salesops.demand.plan import DemandSettings
from salesops.paths import project_paths
from salesops.supply.settings import InventorySettings, SupplySettings


class ParamsError(ValueError):
    """A params file is unreadable, has an unknown key, or a value out of range."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataParams(_Strict):
    """Where the input tables come from and how a CRM export maps onto the canonical tables."""

    source: Literal["sample", "folder"] = "sample"
    dir: str | None = None
    preset: Literal["salesforce", "hubspot", "pipedrive"] | None = None
    on_row_error: Literal["error", "quarantine"] = "error"
    max_reject_share: float = Field(0.2, ge=0, le=1)
    encoding: str = "utf-8"
    date_format: str | None = None
    files: dict[str, str] = Field(default_factory=dict)
    columns: dict[str, dict[str, str]] = Field(default_factory=dict)
    values: dict[str, dict[str, dict[str, str]]] = Field(default_factory=dict)
    true_values: list[str] = Field(default_factory=list)
    false_values: list[str] = Field(default_factory=list)
    decimal_separator: Literal[".", ","] = "."
    thousands_separator: Literal[",", ".", " ", "'", ""] = ","
    flag_amount_ratio: float = Field(1000.0, gt=1)
    max_amount_ratio: float = Field(1_000_000.0, gt=1)

    @field_validator("files", "columns", "values")
    @classmethod
    def _known_tables(cls, mapping: dict[str, Any]) -> dict[str, Any]:
        for table in mapping:
            _require_known(table, list(schema.TABLES), "table")
        return mapping

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, columns: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for table, renames in columns.items():
            for canonical in renames.values():
                _require_known(canonical, schema.TABLES[table].column_names, f"column of table {table}")
        return columns

    @field_validator("values")
    @classmethod
    def _known_value_columns(cls, values: dict[str, dict[str, dict[str, str]]]):
        for table, per_column in values.items():
            for column in per_column:
                _require_known(column, schema.TABLES[table].column_names, f"column of table {table}")
        return values

    @model_validator(mode="after")
    def _folder_needs_dir(self) -> "DataParams":
        if self.source == "folder" and not self.dir:
            raise ValueError("data.source is 'folder' but data.dir is empty: set data.dir to the folder of tables")
        return self

    @model_validator(mode="after")
    def _separators_differ(self) -> "DataParams":
        if self.decimal_separator == self.thousands_separator:
            raise ValueError(
                f"data.decimal_separator and data.thousands_separator are both {self.decimal_separator!r}: "
                "numbers could not be read. Set them to the export's convention, e.g. '.' and ',' for 1,234.50 "
                "or ',' and '.' for 1.234,50"
            )
        return self

    @model_validator(mode="after")
    def _amount_ratios_ordered(self) -> "DataParams":
        if self.max_amount_ratio < self.flag_amount_ratio:
            raise ValueError(
                f"data.max_amount_ratio ({self.max_amount_ratio:g}) is below data.flag_amount_ratio "
                f"({self.flag_amount_ratio:g}): an amount that stops the run must also be one the audit flags; "
                "set max_amount_ratio to at least flag_amount_ratio"
            )
        return self


class SampleParams(_Strict):
    """The embedded sample company."""

    seed: int = 42
    scale: float = Field(1.0, gt=0, le=100)
    history_years: int = Field(3, ge=1, le=10)


class CollectParams(_Strict):
    """Step 1: data audit and KPIs."""

    window_months: int = Field(12, ge=1, le=60)
    stale_grace_days: int = Field(0, ge=0, le=365)
    target: float | None = Field(None, gt=0)
    target_growth: float = Field(0.25, ge=-0.99, le=10)
    top_fixes: int = Field(8, ge=1, le=50)


class Params(_Strict):
    """All params of one quarter, merged and validated."""

    quarter: str
    fiscal_year_start_month: int = Field(1, ge=1, le=12)
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
        if not calendar.QUARTER_PATTERN.match(quarter):
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
                f"unknown time zone {name!r}{_nearest_hint(name, zones)}: use an IANA time-zone name such as UTC, "
                "Europe/Berlin or America/New_York"
            ) from None
        return name

    @field_validator("as_of")
    @classmethod
    def _as_of_not_after_quarter(cls, as_of: dt.date | None, info: ValidationInfo) -> dt.date | None:
        quarter, start_month = info.data.get("quarter"), info.data.get("fiscal_year_start_month")
        if as_of is None or quarter is None or start_month is None:
            return as_of
        end = calendar.quarter_end(quarter, start_month).date()
        if as_of > end:
            raise ValueError(
                f"as_of {as_of} is after the end of quarter {quarter} ({end}): as_of is the last day of known "
                "data and must fall before or inside the planned quarter"
            )
        return as_of

    @property
    def quarter_start(self) -> pd.Timestamp:
        return calendar.quarter_start(self.quarter, self.fiscal_year_start_month)

    @property
    def quarter_end(self) -> pd.Timestamp:
        return calendar.quarter_end(self.quarter, self.fiscal_year_start_month)

    @property
    def data_end(self) -> pd.Timestamp:
        """Last day of known data: ``as_of`` or the day before the planned quarter starts."""
        if self.as_of is not None:
            return pd.Timestamp(self.as_of)
        return self.quarter_start - pd.Timedelta(days=1)


def _require_known(name: str, valid: list[str], what: str) -> None:
    if name not in valid:
        raise ValueError(f"unknown {what} {name!r}{_nearest_hint(name, valid)}; valid: {', '.join(valid)}")


def _nearest_hint(name: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(str(name), valid, n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


# -- reading and merging -------------------------------------------------------------------------


def read_yaml(path: Path) -> dict[str, Any]:
    """Read one params file; an empty file is an empty mapping."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParamsError(f"params file {path} does not exist") from None
    try:
        content = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ParamsError(f"params file {path} is not valid YAML: {exc}") from None
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise ParamsError(f"params file {path} must hold a mapping of keys, not {type(content).__name__}")
    return content


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """A new dict: ``override`` merged over ``base``; nested mappings merge key by key."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _check_keys(raw: dict[str, Any], model: type[BaseModel], path: Path, prefix: str = "") -> None:
    """Reject keys the model does not know, naming the file, the key and the nearest valid key."""
    fields = model.model_fields
    for key, value in raw.items():
        dotted = f"{prefix}{key}"
        if key not in fields:
            valid = list(fields)
            raise ParamsError(
                f"{path}: unknown key '{dotted}'{_nearest_hint(str(key), valid)}. "
                f"Valid keys{' under ' + prefix.rstrip('.') if prefix else ''}: {', '.join(valid)}"
            )
        annotation = fields[key].annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if not isinstance(value, dict):
                raise ParamsError(f"{path}: '{dotted}' must be a mapping of keys, got {value!r}")
            _check_keys(value, annotation, path, prefix=f"{dotted}.")


def _set_in(path: Path, raw: dict[str, Any], location: tuple) -> bool:
    node: Any = raw
    for part in location:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def params_files(quarter: str, params_path: Path | str | None = None, root: Path | None = None) -> list[Path]:
    """The files merged for a quarter, in merge order: defaults, then the quarter's own file if any."""
    paths = project_paths(root)
    files = [paths.defaults]
    if params_path:
        files.append(Path(params_path))
    elif paths.quarter_params(quarter).exists():
        files.append(paths.quarter_params(quarter))
    return files


def load_params(quarter: str, params_path: Path | str | None = None, root: Path | None = None) -> Params:
    """Merge the defaults and the quarter's file, and validate the result once."""
    files = params_files(quarter, params_path, root)
    raws = []
    merged: dict[str, Any] = {}
    for path in files:
        raw = read_yaml(path)
        _check_keys(raw, Params, path)
        if "quarter" in raw and str(raw["quarter"]) != quarter:
            raise ParamsError(f"{path}: sets quarter {raw['quarter']!r} but the run is for {quarter!r}")
        raws.append((path, raw))
        merged = deep_merge(merged, raw)
    merged["quarter"] = quarter
    try:
        return Params.model_validate(merged)
    except ValidationError as exc:
        raise ParamsError(_explain(exc, raws)) from None


def _explain(exc: ValidationError, raws: list[tuple[Path, dict]]) -> str:
    lines = ["the params are not valid:"]
    for error in exc.errors():
        location = tuple(part for part in error["loc"] if not str(part).startswith("function-after"))
        key = ".".join(str(part) for part in location) or "(top level)"
        origin = next((str(p) for p, raw in reversed(raws) if location and _set_in(p, raw, location)), None)
        source = f" (set in {origin})" if origin else ""
        message = error["msg"].removeprefix("Value error, ")
        value = ""
        if "input" in error and not isinstance(error["input"], dict) and not _names_value(message, error["input"]):
            value = f"; got {error['input']!r}"
        lines.append(f"  - {key}: {message}{value}{source}")
    return "\n".join(lines)


def _names_value(message: str, value: Any) -> bool:
    """Whether a validation message already shows the value it rejects (so it is not repeated)."""
    return "got " in message or repr(value) in message


def dump(params: Params) -> dict[str, Any]:
    """Params as plain JSON-ready values (dates as ISO strings), for the manifest."""
    return params.model_dump(mode="json")


def new_quarter_file(root: Path | None = None) -> Path:
    """Write ``params/<next quarter>.yaml`` from the latest quarter's file and return its path.

    Quarter-specific keys (``as_of``, ``collect.target``) are not carried over.
    """
    paths = project_paths(root)
    quarter_files = sorted(p for p in paths.params.glob("*.yaml") if calendar.QUARTER_PATTERN.match(p.stem))
    if not quarter_files:
        raise ParamsError(f"no quarter params file (like 2027Q1.yaml) in {paths.params} to start from")
    latest = max(quarter_files, key=lambda p: (int(p.stem[:4]), int(p.stem[-1])))
    next_label = calendar.shift_quarter(latest.stem, 1)
    target = paths.quarter_params(next_label)  # later than the latest file, so it cannot exist yet
    raw = read_yaml(latest)
    raw.pop("as_of", None)
    raw.pop("quarter", None)
    if isinstance(raw.get("collect"), dict):
        raw["collect"] = {k: v for k, v in raw["collect"].items() if k != "target"}
        if not raw["collect"]:
            raw.pop("collect")
    header = (
        f"# Params for {next_label}, merged over defaults.yaml. Started from {latest.name};\n"
        "# quarter-specific keys (as_of, collect.target) were not carried over.\n"
    )
    body = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True) if raw else ""
    target.write_text(header + body, encoding="utf-8")
    return target
