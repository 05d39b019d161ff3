"""Where statsforecast runs: in this process (``engine: local``), or through Fugue on a dask.distributed
cluster (``engine: dask``), a Spark session or a Ray cluster (``spark``, ``ray``); see *Engines* in the notes of
``salesops.demand.forecast``. statsforecast, fugue and dask are imported when used."""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import warnings
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from salesops.demand.forecast.settings import (
    BASELINE,
    MEAN_MODEL,
    MODELS,
    PERIODS_PER_QUARTER,
    ForecastSettings,
    did_you_mean,
    resolve_settings,
)


_STATSFORECAST_FREQ = {"M": "MS", "W": "W-MON", "Q": "QS"}  # period starts


def _model(name: str, settings: ForecastSettings):
    from statsforecast import models as sf

    m = settings.season
    if name == "AutoETS":
        return sf.AutoETS(season_length=m)
    if name == "AutoARIMA":
        return sf.AutoARIMA(season_length=m)
    if name == "AutoTheta":
        return sf.AutoTheta(season_length=m)
    if name == "SeasonalNaive":
        return sf.SeasonalNaive(season_length=m)
    if name == "HoltWinters":
        return sf.HoltWinters(season_length=m, error_type="A", alias="HoltWinters")
    if name == "AutoCES":
        return sf.AutoCES(season_length=m, alias="AutoCES")
    if name == "DynamicOptimizedTheta":
        return sf.DynamicOptimizedTheta(season_length=m, alias="DynamicOptimizedTheta")
    if name == "MSTL":
        quarter = PERIODS_PER_QUARTER[settings.freq]
        seasons = sorted({quarter, m}) if m > quarter else [m]
        return sf.MSTL(season_length=seasons)
    if name == MEAN_MODEL:
        return sf.HistoricAverage()
    raise ValueError(f"unknown model {name!r}{did_you_mean(name, MODELS)}; accepted: {', '.join(MODELS)}")


class Engine:
    """Runs statsforecast locally or, through Fugue, on a cluster; get one from ``open_engine``."""

    def __init__(self, target=None):
        self.target = target  # what Fugue runs on: a dask.distributed Client, "spark" or "ray"; None: local

    def _run(self, method: str, df: pd.DataFrame, names: Sequence[str], s: ForecastSettings, fallback: bool,
             **arguments) -> pd.DataFrame:
        """statsforecast's ``method`` (``forecast`` or ``cross_validation``) on every series of ``df``."""
        from statsforecast import StatsForecast

        models = [_model(name, s) for name in names]
        fallback_model = _model(BASELINE, s) if fallback else None
        freq = _STATSFORECAST_FREQ[s.freq]
        if self.target is None:
            sf = StatsForecast(models=models, freq=freq, n_jobs=s.n_jobs, fallback_model=fallback_model)
            return self._local(getattr(sf, method)(df=df, **arguments))
        import fugue.api as fa

        def run(part: pd.DataFrame) -> pd.DataFrame:
            # statsforecast's own in-process code on a partition of whole series; defined here so that it
            # reaches the workers by value: they need statsforecast, not this package
            from statsforecast import StatsForecast

            sf = StatsForecast(models=models, freq=freq, n_jobs=1, fallback_model=fallback_model)
            return getattr(sf, method)(df=part.sort_values(["unique_id", "ds"]), **arguments)

        # whole series per partition, four partitions per worker thread (CONCURRENCY): statsforecast's Fugue
        # backend groups by series and builds one StatsForecast per series: 62-76 s where the local engine took 9 s
        # (2,000 series, SeasonalNaive alone; package notes)
        result = fa.transform(df, run, schema=_schema(method, names, arguments.get("level")), engine=self.target,
                              partition={"by": "unique_id", "algo": "coarse", "num": "CONCURRENCY*4"},
                              as_local=True)
        return self._local(fa.as_pandas(result))

    @staticmethod
    def _local(result: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame(result).reset_index(drop=True)
        out["unique_id"] = out["unique_id"].astype(str).to_numpy(dtype=object)
        for column in ("ds", "cutoff"):
            if column in out.columns:
                out[column] = pd.to_datetime(out[column]).astype("datetime64[ns]")
        for column in out.columns:
            if column not in ("unique_id", "ds", "cutoff"):
                out[column] = pd.Series(out[column]).to_numpy(dtype="float64", na_value=np.nan)
        return out

    def cross_validation(self, df: pd.DataFrame, names: Sequence[str], s: ForecastSettings) -> pd.DataFrame:
        with _quiet():
            result = self._run("cross_validation", df, names, s, fallback=True, h=s.cv_h, n_windows=s.cv_windows,
                               step_size=s.cv_step_periods, refit=s.cv_refit,
                               level=list(s.levels_pct) if s.calibrate_intervals else None)
            return result.sort_values(["unique_id", "cutoff", "ds"], kind="stable").reset_index(drop=True)

    def forecast(self, df: pd.DataFrame, names: Sequence[str], s: ForecastSettings) -> pd.DataFrame:
        with _quiet():
            result = self._run("forecast", df, names, s, fallback=MEAN_MODEL not in names, h=s.horizon,
                               level=list(s.levels_pct))
            return result.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


def _schema(method: str, names: Sequence[str], levels: Sequence[int] | None) -> str:
    """Fugue's schema of what statsforecast's ``method`` returns for the models ``names`` (their aliases) and
    ``levels``."""
    keys = ["unique_id:str", "ds:datetime"] + (["cutoff:datetime", "y:double"] if method == "cross_validation" else [])
    bounds = [f"{side}-{level}" for level in (levels or []) for side in ("lo", "hi")]
    values = [f"`{column}`:double" for name in names for column in (name, *(f"{name}-{b}" for b in bounds))]
    return ",".join(keys + values)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence the warnings and log lines statsforecast, fugue and dask print while they work."""
    loggers = [logging.getLogger(name) for name in ("distributed", "distributed.shuffle._scheduler_plugin", "fugue")]
    before = [logger.level for logger in loggers]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for logger, level in zip(loggers, before):
                logger.setLevel(level)


@contextlib.contextmanager
def open_engine(settings: ForecastSettings | None = None) -> Iterator[Engine]:
    """The engine of ``settings``: local; a dask.distributed client (to ``dask_address``, else a new
    LocalCluster with one single-threaded worker process per core) closed on exit; or the Spark session or
    Ray cluster of the environment (Fugue's ``"spark"`` and ``"ray"`` engines: ``spark-submit``'s master or
    ``SparkSession.builder.getOrCreate()``, ``RAY_ADDRESS`` or a local Ray). The public functions open one
    themselves; pass the one yielded here as ``engine=`` to share a cluster between calls (the engine only
    runs statsforecast: every other setting comes from the ``settings`` given to each call).

    A LocalCluster starts worker processes that import the calling script again: in a script (not a
    notebook) call this under ``if __name__ == "__main__":``, as dask requires."""
    settings = resolve_settings(settings)
    if settings.engine == "local":
        yield Engine()
        return
    if settings.engine in ("spark", "ray"):
        package = {"spark": "pyspark", "ray": "ray"}[settings.engine]
        if importlib.util.find_spec(package) is None:
            raise ValueError(f"engine {settings.engine!r} needs {package} and Fugue's support for it: pip install "
                             f"'fugue[{settings.engine}]' ({package} of the cluster's version), or set engine: local "
                             "or dask")
        yield Engine(settings.engine)
        return
    try:
        from distributed import Client, LocalCluster
        import dask.dataframe  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ValueError("engine 'dask' needs dask and distributed: pip install 'dask[distributed,dataframe]', or "
                         "set engine: local") from exc
    cluster = None
    with _quiet():
        if settings.dask_address:
            client = _connect(settings.dask_address)
        else:
            cores = os.cpu_count() or 1
            before = os.environ.get("PYTHONWARNINGS")
            os.environ["PYTHONWARNINGS"] = "ignore"  # the worker processes inherit it: no warnings in the report
            try:
                cluster = LocalCluster(n_workers=cores, threads_per_worker=1, dashboard_address=None)
            finally:
                if before is None:
                    os.environ.pop("PYTHONWARNINGS", None)
                else:
                    os.environ["PYTHONWARNINGS"] = before
            client = Client(cluster, set_as_default=True)
    try:
        with client.as_current():
            yield Engine(client)
    finally:
        with _quiet():
            client.close()
            if cluster is not None:
                cluster.close()


def _connect(address: str):
    """A client of the scheduler at ``address`` with at least one worker, waiting for each as long as dask's
    connect timeout (``distributed.comm.timeouts.connect``, 30 s by default); ValueError saying what to do
    otherwise."""
    import dask
    from distributed import Client

    wait = dask.config.get("distributed.comm.timeouts.connect")
    try:
        client = Client(address, set_as_default=True)
    except OSError as exc:
        raise ValueError(f"forecast.dask_address: no Dask scheduler answered at {address!r} within {wait} ({exc}); "
                         "start the cluster or correct the address (`dask scheduler` prints it), or set engine: "
                         "local") from exc
    try:
        client.wait_for_workers(1, timeout=wait)
    except TimeoutError as exc:
        client.close()
        raise ValueError(f"forecast.dask_address: the Dask scheduler at {address!r} has no worker (none joined "
                         f"within {wait}); start workers with `dask worker {address}`, or set engine: local") from exc
    return client


@contextlib.contextmanager
def engine_for(settings: ForecastSettings, engine: Engine | None) -> Iterator[Engine]:
    if engine is not None:
        if not isinstance(engine, Engine):
            raise ValueError("engine must be one yielded by forecast.open_engine(settings), or None")
        yield engine
    else:
        with open_engine(settings) as opened:
            yield opened
