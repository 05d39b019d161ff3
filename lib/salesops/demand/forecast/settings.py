"""The ``forecast:`` settings of step 2's statistical forecast, and the names they use (models, levels, periods).

``ForecastSettings`` is what the params' ``forecast:`` block becomes; its derived values (``season``,
``horizon``, ``cv_h``…) are in periods of ``freq``. Only pandas-free imports (pydantic, the standard library)
here, so the params loader can embed ``ForecastSettings`` cheaply. What the settings mean for the forecast:
the notes of ``salesops.demand.forecast``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from salesops.settings.base import Settings, settings_or_default
from salesops.settings.fields import Count, ListOf, Months, OneOf, Rule, Text, Whole, check_argument, is_whole
from salesops.settings.fields import did_you_mean  # noqa: F401  (the forecast modules' name hints)


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

#: ``ForecastSettings.rule`` values: how each series' forecast is made from the candidates' backtests.
RULES: tuple[str, ...] = ("combination", "top_k", "best")

#: What each ``rule`` means.
RULE_MEANINGS = {
    "combination": "every series by the mean of the combination's models, the same for all",
    "top_k": "each series by the mean of its k best candidates, k by leave-one-window-out backtest",
    "best": "each series by its single best candidate by backtest",
}

#: Default members of the combination (``rule: combination``): four diverse models, each strong on its own.
DEFAULT_COMBINATION: tuple[str, ...] = ("AutoETS", "AutoARIMA", "AutoCES", "DynamicOptimizedTheta")

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

#: ``ForecastSettings.freq`` values: calendar months, weeks starting Monday, calendar quarters.
FREQS: tuple[str, ...] = ("M", "W", "Q")

#: What each ``freq`` value means.
FREQ_MEANINGS = {"M": "calendar months", "W": "weeks starting Monday", "Q": "calendar quarters"}

#: A period's unit in sentences, per ``freq``.
PERIOD_UNITS = {"M": "months", "W": "weeks", "Q": "quarters"}

#: Periods in a quarter, per ``freq``.
PERIODS_PER_QUARTER = {"M": 3, "W": 13, "Q": 1}

_PER_YEAR = {"M": 12, "W": 52, "Q": 4}


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
        raise ValueError(f"freq must be 'M' (calendar months), 'W' (weeks starting Monday) or 'Q' (calendar "
                         f"quarters); got {value!r}")
    return key


def _is_levels(levels: Any) -> bool:
    """A non-empty list of levels, each a list of column names (non-empty text)."""
    def is_list(value: Any) -> bool:
        return isinstance(value, Sequence) and not isinstance(value, (str, bytes))

    return is_list(levels) and len(levels) > 0 and all(
        is_list(level) and all(isinstance(column, str) and column.strip() for column in level) for level in levels)


#: The hierarchy: levels, each a list of columns ([] the company total), sorted top to bottom; the most detailed
#: level holds every column the others use (:func:`check_levels`).
Levels = Annotated[
    tuple[tuple[str, ...], ...],
    BeforeValidator(Rule("a list of levels, each a list of column names ([] for the company total)",
                         [[], ["region"], ["region", "segment"]], ["region"], _is_levels)),
    AfterValidator(check_levels),
]
#: Candidate models, each once.
Models = ListOf(OneOf(MODELS), "models", ["AutoETS", "SeasonalNaive"], min_items=1, unique=True, one_alone=True)
#: Members of the combination, each once (any model but the Ensemble).
CombinationModels = ListOf(OneOf(tuple(name for name in MODELS if name != "Ensemble")), "models",
                           list(DEFAULT_COMBINATION), min_items=1, unique=True, one_alone=True)
#: Prediction-interval levels in percent, stored sorted, each once.
IntervalLevels = Annotated[ListOf(Whole("percent", 1, 99, example=80), "interval levels in percent", [80, 95],
                                  min_items=1),
                           AfterValidator(lambda levels: tuple(sorted(set(levels))))]
#: Local worker processes: -1 for all cores, else 1 or more.
WorkerProcesses = Annotated[int, BeforeValidator(Rule(
    "a whole number of worker processes of 1 or more, or -1 for all cores", -1, 0,
    lambda value: is_whole(value) and (value >= 1 or value == -1), int))]


#: ``ForecastSettings.engine`` values: where statsforecast runs (the notes of ``salesops.demand.forecast``).
ENGINES: tuple[str, ...] = ("local", "dask", "spark", "ray")

#: What each ``engine`` means.
ENGINE_MEANINGS = {"local": "processes on this machine", "dask": "a Dask cluster",
                   "spark": "the Spark session of the environment, through Fugue",
                   "ray": "the Ray cluster of the environment, through Fugue"}

_DASK_SCHEMES = ("tcp", "tls", "ucx", "ws", "wss", "inproc")


def _is_dask_address(value: Any) -> bool:
    """``scheme://host:port`` (or ``inproc://...``) with a scheme dask.distributed speaks, or ``host:port``."""
    if not isinstance(value, str) or not value.strip() or any(space.isspace() for space in value.strip()):
        return False
    scheme, found, rest = value.strip().partition("://")
    if not found:
        host, colon, port = value.strip().rpartition(":")
        return bool(colon and host and port.isdigit())
    return scheme in _DASK_SCHEMES and bool(rest) and (scheme == "inproc" or rest.rpartition(":")[2].isdigit())


#: A dask.distributed scheduler address: ``tcp://scheduler:8786`` (``host:port`` means tcp).
DaskAddress = Annotated[str | None, BeforeValidator(Rule(
    f"a Dask scheduler address, scheme://host:port with a scheme of {', '.join(_DASK_SCHEMES)} "
    "(host:port alone means tcp)", "tcp://scheduler:8786", "scheduler", _is_dask_address, str.strip, True))]


class ForecastSettings(Settings):
    """How bookings (or leads) are forecast (the ``forecast:`` block of the params).

    * ``freq`` (``"M"``): ``"M"`` calendar months, ``"W"`` weeks starting Monday or ``"Q"`` calendar quarters
      (season 4; a quarter is one period, so the backtest's windows and step are whole quarters).
    * ``levels`` (``[[], [region], [region, segment]]``): the hierarchy, each level a list of columns;
      ``[]`` is the company total. The most detailed level must contain every column used.
    * ``models`` (``[AutoETS, AutoARIMA, AutoTheta, SeasonalNaive, HoltWinters, AutoCES,
      DynamicOptimizedTheta, Ensemble]``): candidates, any of ``MODELS``; ``MSTL`` only with ``freq: W``;
      ``Ensemble`` (mean of the others) needs two others.
    * ``season_length`` (null): periods per season; null means a year (12 months, 52 weeks or 4 quarters).
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
    * ``rule`` (``"combination"``): how each series' forecast is made (package notes, *Selection*):
      ``"combination"``: the mean of the ``combination`` models, the same for every series (the backtest then
      only measures it); ``"top_k"``: the mean of each series' ``k`` best candidates of ``models`` by backtest
      MASE, ``k`` chosen for all the series of a call by a leave-one-window-out backtest (the default until
      2026-11; needs 2+ backtest windows); ``"best"``: each series' single best candidate (``Ensemble``
      included).
    * ``combination`` (``[AutoETS, AutoARIMA, AutoCES, DynamicOptimizedTheta]``): the models the
      ``combination`` rule averages (the fast profile leaves AutoARIMA out). ``models`` are the candidates of
      the other two rules.
    * ``levels_pct`` ([80, 95]): prediction-interval levels, percent.
    * ``calibrate_intervals`` (true): stretch or shrink each model's bands by the factor that would have made
      them hold their level of the backtest's outcomes, pooled over the series (package notes, *Intervals*;
      ``salesops.demand.forecast.intervals``); false keeps the models' own bands.
    * ``reconciliation`` (``"bottom_up"``): ``bottom_up``, ``top_down``, ``middle_out`` or ``min_trace``.
    * ``engine`` (``"local"``): ``"local"`` (statsforecast's worker processes on this machine, ``n_jobs`` of
      them, -1 = all cores), ``"dask"`` (a dask.distributed cluster: ``dask_address``, null = start a
      LocalCluster), ``"spark"`` or ``"ray"`` (the Spark session or Ray cluster the environment gives, through
      Fugue; not tested here). ``dask_address`` is only read with ``engine: dask``.
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

    freq: OneOf(FREQS, meanings=FREQ_MEANINGS, ignore_case=True) = Field(
        "M", description="Period: 'M' calendar month, 'W' week starting Monday or 'Q' calendar quarter.")
    levels: Levels = Field(DEFAULT_LEVELS, description="Hierarchy levels, each a list of columns.")
    models: Models = Field(DEFAULT_MODELS, description="Candidate models; Ensemble = mean of the others.")
    season_length: Whole("periods", 2, example=12, optional=True) = Field(None, description="Periods per season; null = a year (12, 52 or 4).")
    horizon_quarters: Whole("quarters", 0, example=3) = Field(3, description="Quarters forecast after the planned quarter.")
    cv_windows: Count("backtest windows", 1, example=3) = Field(3, description="Rolling-origin backtest windows.")
    cv_step: Months(1, None, example=3) = Field(3, description="Months between backtest origins.")
    cv_horizon: OneOf(("auto", "quarter", "full"), meanings={
        "auto": "the whole horizon where the history is long enough, else a quarter", "quarter": "a quarter",
        "full": "the whole horizon"}) = Field("auto", description="Backtest forecast length: 'auto', 'quarter' or 'full' horizon.")
    cv_refit: bool = Field(True, description="Re-estimate the models at every backtest origin (false: once).")
    selection_metric: OneOf(("mase",)) = Field("mase", description="Metric the model of each series is chosen by.")
    rule: OneOf(RULES, meanings=RULE_MEANINGS) = Field(
        "combination", description="How each series is forecast: 'combination' (the mean of the combination's "
                                   "models), 'top_k' (the mean of its k best candidates) or 'best' (its best one).")
    combination: CombinationModels = Field(DEFAULT_COMBINATION, description="Models the combination rule averages.")
    levels_pct: IntervalLevels = Field((80, 95), description="Prediction-interval levels, percent.")
    calibrate_intervals: bool = Field(True, description="Rescale the intervals so that they would have held their "
                                                        "level of the backtest's outcomes (false: the models' own).")
    reconciliation: OneOf(RECONCILIATIONS) = Field("bottom_up", description="bottom_up, top_down, middle_out or min_trace.")
    engine: OneOf(ENGINES, meanings=ENGINE_MEANINGS) = Field(
        "local", description="'local' (processes on this machine), 'dask', 'spark' or 'ray' (a cluster, through Fugue).")
    n_jobs: WorkerProcesses = Field(-1, description="Local worker processes; -1 = all cores.")
    dask_address: DaskAddress = Field(None, description="Dask scheduler address; null = start a LocalCluster.")
    min_history: Months(1, None, example=24) = Field(24, description="Months of history a series needs to be cross-validated.")
    nonnegative: bool = Field(True, description="Clip forecasts and bounds at 0.")
    profile: OneOf(PROFILES, meanings={
        "auto": "full up to fast_above_series series, fast above", "full": "models as listed",
        "fast": "no AutoARIMA, models estimated once in the backtest"}) = Field("auto", description="'full', 'fast' (no AutoARIMA, estimated once) or 'auto' (fast above "
                                             "fast_above_series series).")
    fast_above_series: Count("series", 0, example=1000) = Field(1000, description="With profile auto: series above which the fast profile runs.")

    @model_validator(mode="after")
    def _consistent(self) -> "ForecastSettings":
        if "Ensemble" in self.models and len(self.models) < 3:
            raise ValueError(
                f"Ensemble is the mean of the other models and needs at least two of them; got {list(self.models)}, "
                "e.g. [AutoETS, AutoTheta, SeasonalNaive, Ensemble]"
            )
        if self.dask_address is not None and self.engine != "dask":
            raise ValueError(f"dask_address is set ({self.dask_address!r}) but engine is {self.engine!r}: set "
                             "engine: dask to run on that cluster, or remove dask_address")
        for field in ("models", "combination"):
            if "MSTL" in getattr(self, field) and self.freq != "W":
                raise ValueError(
                    "MSTL is for weekly series only (it separates a 13-week and a 52-week season): set freq: W or "
                    f"remove MSTL from {field}; got freq {self.freq!r}"
                )
        return self

    # derived values, in periods of ``freq``

    @property
    def season(self) -> int:
        """Periods per season: ``season_length``, else a year (12 months, 52 weeks or 4 quarters)."""
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

    @property
    def combination_label(self) -> str:
        """The combination's model label: its members joined by ``COMBINATION_SEPARATOR``."""
        return COMBINATION_SEPARATOR.join(self.combination)

    @property
    def backtested(self) -> tuple[str, ...]:
        """The statsforecast models the backtest runs: the combination's (rule ``combination``), else the
        candidates; ``SeasonalNaive``, the baseline, is backtested besides."""
        return self.combination if self.rule == "combination" else self.candidates

    def for_series(self, n_series: int) -> "ForecastSettings":
        """The settings that run on ``n_series`` series: ``profile`` resolved to ``"full"`` (these settings as
        they are) or ``"fast"`` (``models`` and ``combination`` without AutoARIMA, and ``models`` without
        Ensemble when fewer than two other models remain, unless that leaves no model; ``cv_refit`` false). Resolved settings resolve to themselves.
        """
        n_series = check_argument(n_series, Count("series", 0, example=100), "n_series")
        fast = self.profile == "fast" or (self.profile == "auto" and n_series > self.fast_above_series)
        if not fast:
            return self if self.profile == "full" else self.model_copy(update={"profile": "full"})
        models = [name for name in self.models if name != _SLOW_MODEL] or list(self.models)
        if "Ensemble" in models and len(models) < 3:
            models.remove("Ensemble")
        combination = tuple(name for name in self.combination if name != _SLOW_MODEL) or self.combination
        return self.model_copy(update={"profile": "fast", "models": tuple(models), "combination": combination,
                                       "cv_refit": False})


def _months_to_periods(months: int, freq: str) -> int:
    """``months`` in periods of ``freq``, at least one (a week is 12/52 months, a quarter 3)."""
    return months if freq == "M" else max(1, round(months * _PER_YEAR[freq] / 12))


def resolve_settings(settings: ForecastSettings | None) -> ForecastSettings:
    """``settings``, or the default ``ForecastSettings()`` for None; ValueError for anything else."""
    return settings_or_default(settings, ForecastSettings)
