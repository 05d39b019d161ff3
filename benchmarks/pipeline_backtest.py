"""The pipeline, statistical and blended forecasts of past quarters on a real export with a stage history.

Reads the Salesforce demo org of ``../shared/data/exports/sfdc-wave-sdo`` through its committed mapping
(``examples/sfdc-wave-sdo/params.yaml``), rebuilds the pipeline on the eve of each past quarter from the stage
history and forecasts the quarter as the workbook would have then (``demand.plan.pipeline_backtest``), makes the
statistical forecast of the same quarter from the bookings known that day (``demand.method_backtest``), and blends
the two with weights inverse to each method's error on the *other* quarters (leave one quarter out, so a quarter's
blend never uses its own error). The lead method is not backtested: this export has no leads.

Prints one Markdown row per quarter (forecast and error of each method) and the mean absolute error of each.
Usage: ``.venv/bin/python benchmarks/pipeline_backtest.py [export folder]``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from salesops.collect import overview as collect_overview
from salesops.data.inputs import load_inputs
from salesops.demand import forecast
from salesops.demand import workflow as demand_workflow
from salesops.plan_params import load_params

ROOT = Path(__file__).resolve().parents[1]


def blend_leave_one_out(compared: pd.DataFrame) -> pd.DataFrame:
    """Per quarter, the pipeline and statistical forecasts blended with weights inverse to each method's mean
    absolute error over the other quarters."""
    wide = compared.pivot(index="quarter", columns="method", values="forecast")
    errors = compared.assign(abs_error=compared["error"].abs()).pivot(index="quarter", columns="method",
                                                                      values="abs_error")
    actual = compared.drop_duplicates("quarter").set_index("quarter")["actual"]
    rows = []
    for quarter in wide.index:
        others = errors.drop(index=quarter).mean()
        weights = (1 / others) / (1 / others).sum()
        blended = float((wide.loc[quarter] * weights).sum())
        rows.append((quarter, blended, blended / actual[quarter] - 1, float(weights["pipeline"])))
    return pd.DataFrame(rows, columns=["quarter", "blended", "blended_error", "pipeline_weight"])


def main(export: Path) -> None:
    params = load_params("2017Q3", ROOT / "examples" / "sfdc-wave-sdo" / "params.yaml", ROOT)
    started = time.perf_counter()
    tables = load_inputs(params, ROOT, export).tables
    opportunities = collect_overview.attach_segments(tables["opportunities"], tables.get("reps"),
                                                     tables.get("accounts"))
    series = forecast.series_from_bookings(opportunities, params.forecast.levels, params.forecast.freq,
                                           end=params.data_end)
    chosen = forecast.forecast_step(series, params.forecast)
    compared = demand_workflow.backtest_methods(opportunities, tables["opportunity_history"], series,
                                                chosen.backtest, params)
    seconds = time.perf_counter() - started
    wide = compared.pivot(index="quarter", columns="method", values=["forecast", "error"])
    blend = blend_leave_one_out(compared).set_index("quarter")
    actual = compared.drop_duplicates("quarter").set_index("quarter")["actual"]
    print(f"Export: {export.name}, {len(opportunities):,} opportunities, "
          f"{len(tables['opportunity_history']):,} stage changes; {seconds:.1f} s\n")
    print("| quarter | booked | pipeline | error | statistical | error | blended | error | pipeline weight |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for quarter in wide.index:
        print(f"| {quarter} | {actual[quarter]:,.0f} | {wide.loc[quarter, ('forecast', 'pipeline')]:,.0f} | "
              f"{wide.loc[quarter, ('error', 'pipeline')]:+.1%} | {wide.loc[quarter, ('forecast', 'statistical')]:,.0f}"
              f" | {wide.loc[quarter, ('error', 'statistical')]:+.1%} | {blend.loc[quarter, 'blended']:,.0f} | "
              f"{blend.loc[quarter, 'blended_error']:+.1%} | {blend.loc[quarter, 'pipeline_weight']:.2f} |")
    mean_abs = {method: float(np.abs(wide[("error", method)]).mean()) for method in ("pipeline", "statistical")}
    mean_abs["blended"] = float(np.abs(blend["blended_error"]).mean())
    print("\nMean absolute error: " + ", ".join(f"{name} {value:.1%}" for name, value in mean_abs.items()))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data" / "exports" / "sfdc-wave-sdo")
