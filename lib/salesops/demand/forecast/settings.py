"""The ``forecast:`` settings of step 2's statistical forecast, and the names they use (models, levels, periods).

``ForecastSettings`` is what the params' ``forecast:`` block becomes; its derived values (``season``,
``horizon``, ``cv_h``…) are in periods of ``freq``. Only pandas-free imports (pydantic, the standard library)
here, so the params loader can embed ``ForecastSettings`` cheaply. What the settings mean for the forecast:
the notes of ``salesops.demand.forecast``.
"""

from __future__ import annotations

import difflib
import numbers
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


#: Models that can be listed in ``ForecastSettings.models``.
MODELS: tuple[str, ...] = ("AutoETS", "AutoARIMA", "AutoTheta", "SeasonalNaive", "HoltWinters", "AutoCES",
                           "DynamicOptimizedTheta", "MSTL", "Ensemble")

#: Models from simplest to most complex: a tie in MASE goes to the one listed first.
SIMPLICITY: tuple[str, ...] = ("SeasonalNaive", "AutoTheta", "DynamicOptimizedTheta", "HoltWinters", "AutoETS",
                               "AutoCES", "AutoARIMA", "MSTL", "Ensemble")

#: Joins the members of a combination in its model label: ``"AutoETS + HoltWinters"`` is their mean.
COMBINATION_SEPARATOR = " + "

#: Model of a series too short for anything else: the mean of its history.
MEAN_MODEL = "HistoricAverage"

#: Baseline every series is backtested with (``backtest_table``'s ``seasonal_naive_mase``).
BASELINE = "SeasonalNaive"

#: Reconciliation methods (see the package notes).
RECONCILIATIONS: tuple[str, ...] = ("bottom_up", "top_down", "middle_out", "min_trace")

#: ``unique_id`` of the company-total series (the level ``[]``).
TOTAL_ID = "total"

#: Default hierarchy: total, region, region x segment.
DEFAULT_LEVELS: tuple[tuple[str, ...], ...] = ((), ("region",), ("region", "segment"))

#: Default candidate models.
DEFAULT_MODELS: tuple[str, ...] = ("AutoETS", "AutoARIMA", "AutoTheta", "SeasonalNaive", "HoltWinters", "AutoCES",
                                   "DynamicOptimizedTheta", "Ensemble")

#: Settings for thousands of series: about 1/13 of the default's time (no AutoARIMA, models estimated once in
#: the backtest): 10,000 series in about 6 minutes on 2 cores. benchmarks/forecast_speed.py shows the accuracy
#: it gives up. What ``profile: fast`` makes of the default candidates.
FAST_PROFILE: dict[str, Any] = {"models": ("AutoETS", "AutoTheta", "SeasonalNaive", "HoltWinters", "AutoCES",
                                           "DynamicOptimizedTheta", "Ensemble"), "cv_refit": False}

#: ``ForecastSettings.profile`` values.
PROFILES: tuple[str, ...] = ("auto", "full", "fast")

#: The model the fast profile leaves out: most of the full profile's time (AutoARIMA: about 360 ms per series on
#: 2 cores, AutoETS 60, AutoTheta 10, SeasonalNaive 2; 3 re-estimated backtest windows + the forecast).
_SLOW_MODEL = "AutoARIMA"

#: ``ForecastSettings.freq`` values: calendar months, weeks starting Monday.
FREQS: tuple[str, ...] = ("M", "W")

#: Periods in a quarter, per ``freq``.
PERIODS_PER_QUARTER = {"M": 3, "W": 13}

_PER_YEAR = {"M": 12, "W": 52}


def did_you_mean(value: Any, accepted: Sequence[str]) -> str:
    """`` (did you mean 'X'?)`` for the accepted name closest to ``value``, case-insensitively; else ''."""
    lowered = {name.lower(): name for name in accepted}
    close = difflib.get_close_matches(str(value).lower(), list(lowered), n=1, cutoff=0.5)
    return f" (did you mean {lowered[close[0]]!r}?)" if close else ""


def check_levels(levels: Any, name: str = "levels") -> tuple[tuple[str, ...], ...]:
    """``levels`` as a tuple of column tuples, sorted top (fewest columns) to bottom; ValueError otherwise."""
    example = "[[], ['region'], ['region', 'segment']]"
    if isinstance(levels, (str, bytes)) or not isinstance(levels, Sequence) or len(levels) == 0:
        raise ValueError(f"{name} must be a non-empty list of levels, each a list of column names, e.g. {example}; "
                         f"got {levels!r}")
    checked: list[tuple[str, ...]] = []
    for index, level in enumerate(levels):
        if isinstance(level, (str, bytes)) or not isinstance(level, Sequence):
            raise ValueError(f"{name}[{index}] must be a list of column names (use [] for the total, ['region'] "
                             f"for one column), e.g. {example}; got {level!r}")
        for column in level:
            if not isinstance(column, str) or not column.strip():
                raise ValueError(f"{name}[{index}]: {column!r} is not a column name; column names are non-empty "
                                 f"text, e.g. 'region'")
        if len(set(level)) != len(level):
            raise ValueError(f"{name}[{index}] lists a column more than once: {list(level)}; list each column once")
        checked.append(tuple(level))
    if len({frozenset(level) for level in checked}) != len(checked):
        raise ValueError(f"{name} lists the same level twice: {[list(level) for level in checked]}")
    ordered = tuple(sorted(checked, key=len))
    bottom = ordered[-1]
    used = [column for level in ordered for column in level]
    missing = [column for column in dict.fromkeys(used) if column not in bottom]
    if missing or (len(ordered) > 1 and len(ordered[-2]) == len(bottom)):
        raise ValueError(
            f"{name}: the most detailed level {list(bottom)} must contain every column the other levels use "
            f"(missing {missing}), so each higher series is a sum of bottom series; add a level such as "
            f"{list(dict.fromkeys(used))}"
        )
    return ordered


def check_freq(value: Any) -> str:
    """``value`` as one of ``FREQS`` (``"m"`` accepted for ``"M"``); ValueError otherwise."""
    key = value.upper() if isinstance(value, str) else None
    if key not in FREQS:
        raise ValueError(f"freq must be 'M' (calendar months) or 'W' (weeks starting Monday); got {value!r}")
    return key


def whole_number(value: Any, name: str, minimum: int, example: int) -> int:
    """``value`` as an int when it is a whole number (not a bool) >= ``minimum``; ValueError naming ``name``
    and ``example`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, e.g. {example}; got {value!r}")
    return int(value)


class ForecastSettings(BaseModel):
    """How bookings (or leads) are forecast (the ``forecast:`` block of the params).

    * ``freq`` (``"M"``): ``"M"`` calendar months or ``"W"`` weeks starting Monday.
    * ``levels`` (``[[], [region], [region, segment]]``): the hierarchy, each level a list of columns;
      ``[]`` is the company total. The most detailed level must contain every column used.
    * ``models`` (``[AutoETS, AutoARIMA, AutoTheta, SeasonalNaive, HoltWinters, AutoCES,
      DynamicOptimizedTheta, Ensemble]``): candidates, any of ``MODELS``; ``MSTL`` only with ``freq: W``;
      ``Ensemble`` (mean of the others) needs two others.
    * ``season_length`` (null): periods per season; null means a year (12 months or 52 weeks).
    * ``horizon_quarters`` (3): quarters forecast *after* the planned quarter; the horizon is the planned
      quarter plus these, 3 -> 4 quarters = 12 months (52 weeks). 0 forecasts the planned quarter only.
    * ``cv_windows`` (3), ``cv_step`` (3): backtest origins and the months between them.
    * ``cv_horizon`` (``"auto"``): periods each backtest window forecasts: ``"quarter"``, the ``"full"``
      horizon, or ``"auto"``: the full horizon where the history leaves 3 seasons of training before the
      first origin, else a quarter (package notes).
    * ``cv_refit`` (true): re-estimate every model at every backtest origin; false estimates them once, at
      the first origin, and only updates their state with the later data (statsforecast's ``refit=False``,
      about 3x faster, slightly pessimistic for the later windows).
    * ``selection_metric`` (``"mase"``): the metric a series' model is chosen by (only MASE for now).
    * ``combine`` (true): forecast each series by the mean of its ``k`` candidates with the lowest backtest
      MASE, ``k`` chosen for all the series of a call by a leave-one-window-out backtest (package notes,
      *Selection*); false: each series' single best model (``Ensemble`` included). Needs 2+ backtest windows.
    * ``levels_pct`` ([80, 95]): prediction-interval levels, percent.
    * ``reconciliation`` (``"bottom_up"``): ``bottom_up``, ``top_down``, ``middle_out`` or ``min_trace``.
    * ``engine`` (``"local"``), ``n_jobs`` (-1 = all cores), ``dask_address`` (null = start a LocalCluster
      when ``engine: dask``).
    * ``min_history`` (24): months of history (from the first non-zero value) a series needs to be
      cross-validated; shorter ones fall back to SeasonalNaive or the mean of their history.
    * ``nonnegative`` (true): clip forecasts and bounds at 0 (money and counts).
    * ``profile`` (``"auto"``): ``"full"`` uses ``models`` and ``cv_refit`` as set; ``"fast"`` leaves
      AutoARIMA out of ``models`` (and Ensemble when fewer than two other models remain) and estimates the
      models once in the backtest (``cv_refit`` false); ``"auto"``: full for up to ``fast_above_series``
      series, fast above (see :meth:`for_series` and "Speed" in the package notes).
    * ``fast_above_series`` (1000): with ``profile: auto``, the number of series above which the fast
      profile is used.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    freq: str = Field("M", description="Period: 'M' calendar month or 'W' week starting Monday.")
    levels: tuple[tuple[str, ...], ...] = Field(DEFAULT_LEVELS, description="Hierarchy levels, each a list of columns.")
    models: tuple[str, ...] = Field(DEFAULT_MODELS, description="Candidate models; Ensemble = mean of the others.")
    season_length: int | None = Field(None, description="Periods per season; null = a year (12 or 52).")
    horizon_quarters: int = Field(3, description="Quarters forecast after the planned quarter.")
    cv_windows: int = Field(3, description="Rolling-origin backtest windows.")
    cv_step: int = Field(3, description="Months between backtest origins.")
    cv_horizon: str = Field("auto", description="Backtest forecast length: 'auto', 'quarter' or 'full' horizon.")
    cv_refit: bool = Field(True, description="Re-estimate the models at every backtest origin (false: once).")
    selection_metric: str = Field("mase", description="Metric the model of each series is chosen by.")
    combine: bool = Field(True, description="Forecast each series by the mean of its k best candidates, k chosen by "
                                            "leave-one-window-out backtest (false: its single best model).")
    levels_pct: tuple[int, ...] = Field((80, 95), description="Prediction-interval levels, percent.")
    reconciliation: str = Field("bottom_up", description="bottom_up, top_down, middle_out or min_trace.")
    engine: str = Field("local", description="'local' (processes on this machine) or 'dask'.")
    n_jobs: int = Field(-1, description="Local worker processes; -1 = all cores.")
    dask_address: str | None = Field(None, description="Dask scheduler address; null = start a LocalCluster.")
    min_history: int = Field(24, description="Months of history a series needs to be cross-validated.")
    nonnegative: bool = Field(True, description="Clip forecasts and bounds at 0.")
    profile: str = Field("auto", description="'full', 'fast' (no AutoARIMA, estimated once) or 'auto' (fast above "
                                             "fast_above_series series).")
    fast_above_series: int = Field(1000, description="With profile auto: series above which the fast profile runs.")

    @field_validator("profile")
    @classmethod
    def _profile(cls, value: str) -> str:
        if value not in PROFILES:
            raise ValueError(f"profile must be 'auto' (full up to fast_above_series series, fast above), 'full' "
                             f"(models as listed) or 'fast' (no AutoARIMA, models estimated once in the backtest)"
                             f"{did_you_mean(value, PROFILES)}; got {value!r}")
        return value

    @field_validator("fast_above_series", mode="before")
    @classmethod
    def _fast_above(cls, value: Any) -> int:
        return whole_number(value, "fast_above_series", 0, 1000)

    @field_validator("freq", mode="before")
    @classmethod
    def _freq(cls, value: Any) -> str:
        return check_freq(value)

    @field_validator("levels", mode="before")
    @classmethod
    def _levels(cls, value: Any) -> tuple[tuple[str, ...], ...]:
        return check_levels(value)

    @field_validator("models", mode="before")
    @classmethod
    def _models(cls, value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, Sequence) or not value:
            raise ValueError(f"models must be a non-empty list of {', '.join(MODELS)}; got {value!r}")
        for name in value:
            if name not in MODELS:
                raise ValueError(f"unknown model {name!r}{did_you_mean(name, MODELS)}; accepted: {', '.join(MODELS)}")
        repeated = sorted({name for name in value if list(value).count(name) > 1})
        if repeated:
            raise ValueError(f"models lists {', '.join(repeated)} more than once; list each model once")
        if "Ensemble" in value and len(value) < 3:
            raise ValueError(
                f"Ensemble is the mean of the other models and needs at least two of them; got {list(value)}, "
                "e.g. [AutoETS, AutoTheta, SeasonalNaive, Ensemble]"
            )
        return tuple(value)

    @field_validator("season_length", mode="before")
    @classmethod
    def _season_length(cls, value: Any) -> int | None:
        return None if value is None else whole_number(value, "season_length", 2, 12)

    @field_validator("horizon_quarters", mode="before")
    @classmethod
    def _horizon(cls, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
            quarters = f"{1 + value} quarters; " if isinstance(value, numbers.Integral) else ""
            raise ValueError(
                f"horizon_quarters {value!r} gives a horizon of {quarters}the horizon must be at least 1 quarter "
                "(the planned quarter). horizon_quarters counts the quarters forecast after the planned quarter: "
                "use 0 or more, e.g. 3"
            )
        return int(value)

    @field_validator("cv_windows", mode="before")
    @classmethod
    def _cv_windows(cls, value: Any) -> int:
        return whole_number(value, "cv_windows", 1, 3)

    @field_validator("cv_step", mode="before")
    @classmethod
    def _cv_step(cls, value: Any) -> int:
        return whole_number(value, "cv_step (months between backtest origins)", 1, 3)

    @field_validator("min_history", mode="before")
    @classmethod
    def _min_history(cls, value: Any) -> int:
        return whole_number(value, "min_history (months)", 1, 24)

    @field_validator("cv_horizon")
    @classmethod
    def _cv_horizon(cls, value: str) -> str:
        if value not in ("auto", "quarter", "full"):
            raise ValueError(f"cv_horizon must be 'auto' (the whole horizon where the history is long enough, "
                             f"else a quarter), 'quarter' or 'full' (the whole horizon); got {value!r}")
        return value

    @field_validator("selection_metric")
    @classmethod
    def _metric(cls, value: str) -> str:
        if value != "mase":
            raise ValueError(f"selection_metric must be 'mase' (the only metric models are chosen by); got {value!r}")
        return value

    @field_validator("levels_pct", mode="before")
    @classmethod
    def _levels_pct(cls, value: Any) -> tuple[int, ...]:
        values = [value] if isinstance(value, numbers.Real) else value
        if not isinstance(values, Sequence) or isinstance(values, str) or not values:
            raise ValueError(f"levels_pct must be a list of interval levels in percent, e.g. [80, 95]; got {value!r}")
        for level in values:
            if isinstance(level, bool) or not isinstance(level, numbers.Integral) or not 0 < level < 100:
                raise ValueError(
                    f"levels_pct must hold whole percentages between 1 and 99, e.g. [80, 95]; got {value!r}")
        return tuple(sorted({int(level) for level in values}))

    @field_validator("reconciliation")
    @classmethod
    def _reconciliation(cls, value: str) -> str:
        if value not in RECONCILIATIONS:
            raise ValueError(f"unknown reconciliation {value!r}{did_you_mean(value, RECONCILIATIONS)}; accepted: "
                             f"{', '.join(RECONCILIATIONS)}")
        return value

    @field_validator("engine")
    @classmethod
    def _engine(cls, value: str) -> str:
        if value not in ("local", "dask"):
            raise ValueError(f"engine must be 'local' or 'dask'{did_you_mean(value, ('local', 'dask'))}; got {value!r}")
        return value

    @field_validator("n_jobs", mode="before")
    @classmethod
    def _n_jobs(cls, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value == 0 or value < -1:
            raise ValueError(f"n_jobs must be -1 (all cores) or a number of processes >= 1; got {value!r}")
        return int(value)

    @model_validator(mode="after")
    def _consistent(self) -> "ForecastSettings":
        if "MSTL" in self.models and self.freq != "W":
            raise ValueError(
                "MSTL is for weekly series only (it separates a 13-week and a 52-week season): set freq: W or "
                f"remove MSTL from models; got freq {self.freq!r}"
            )
        return self

    # derived values, in periods of ``freq``

    @property
    def season(self) -> int:
        """Periods per season: ``season_length``, else a year (12 months or 52 weeks)."""
        return self.season_length or _PER_YEAR[self.freq]

    @property
    def horizon(self) -> int:
        """Periods forecast: the planned quarter plus ``horizon_quarters`` quarters."""
        return PERIODS_PER_QUARTER[self.freq] * (1 + self.horizon_quarters)

    @property
    def cv_h(self) -> int:
        """Periods each backtest window forecasts (with ``"auto"``: for series too short for the full horizon)."""
        return self.horizon if self.cv_horizon == "full" else PERIODS_PER_QUARTER[self.freq]

    @property
    def full_cv_min_periods(self) -> int:
        """With ``cv_horizon="auto"``: history a series needs to be backtested over the full horizon."""
        return self.horizon + self.cv_step_periods * (self.cv_windows - 1) + 3 * self.season

    @property
    def cv_step_periods(self) -> int:
        return _months_to_periods(self.cv_step, self.freq)

    @property
    def cv_test_size(self) -> int:
        """Periods held out by the backtest: ``cv_h + cv_step * (cv_windows - 1)``."""
        return self.cv_h + self.cv_step_periods * (self.cv_windows - 1)

    @property
    def min_history_periods(self) -> int:
        """Periods a series needs to be cross-validated: ``min_history`` and the backtest + one season + 1."""
        return max(_months_to_periods(self.min_history, self.freq), self.cv_test_size + self.season + 1)

    @property
    def candidates(self) -> tuple[str, ...]:
        """The statsforecast models listed (``models`` without Ensemble)."""
        return tuple(name for name in self.models if name != "Ensemble")

    def for_series(self, n_series: int) -> "ForecastSettings":
        """The settings that run on ``n_series`` series: ``profile`` resolved to ``"full"`` (these settings as
        they are) or ``"fast"`` (``models`` without AutoARIMA, and without Ensemble when fewer than two other
        models remain, unless that leaves no model; ``cv_refit`` false). Resolved settings resolve to themselves.
        """
        n_series = whole_number(n_series, "n_series", 0, 100)
        fast = self.profile == "fast" or (self.profile == "auto" and n_series > self.fast_above_series)
        if not fast:
            return self if self.profile == "full" else self.model_copy(update={"profile": "full"})
        models = [name for name in self.models if name != _SLOW_MODEL] or list(self.models)
        if "Ensemble" in models and len(models) < 3:
            models.remove("Ensemble")
        return self.model_copy(update={"profile": "fast", "models": tuple(models), "cv_refit": False})


def _months_to_periods(months: int, freq: str) -> int:
    return months if freq == "M" else max(1, round(months * 52 / 12))


def resolve_settings(settings: ForecastSettings | None) -> ForecastSettings:
    """``settings``, or the default ``ForecastSettings()`` for None; ValueError for anything else."""
    if settings is None:
        return ForecastSettings()
    if not isinstance(settings, ForecastSettings):
        raise ValueError(
            f"settings must be a ForecastSettings (or None for the defaults); got {type(settings).__name__}")
    return settings
