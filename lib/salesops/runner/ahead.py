"""Work a step's kernel does ahead, while the step before it still runs: step 2's statistical forecasts, which need
only the input tables and the params, are computed in step 2's kernel during step 1 (on the core step 1 leaves
free), and step 2 takes them when its series, read from step 1's artifacts, come out the same — which they do
unless step 1 changes the tables in a way the forecasts see (``demand.workflow.compute_ahead``). The results are
those step 2 would compute itself (``demand.forecast.compute_ahead``); only when they are computed changes.
"""

from __future__ import annotations

from collections.abc import Callable

def _demand_ahead(quarter: str, params_path: str, data_dir: str) -> None:
    from salesops.data.inputs import reads_database
    from salesops.demand import workflow as demand_workflow
    from salesops.paths import project_paths
    from salesops.plan_params import load_params
    from salesops.runner.requirements import planning_tables

    root = project_paths().root
    params = load_params(quarter, params_path or None, root)
    if params.forecast.engine != "local" or reads_database(params, data_dir or None):
        return  # no dask cluster started, no database queried again, for work that may not be used
    found = planning_tables(params, root, data_dir or None)
    if found is not None:
        demand_workflow.compute_ahead(found.tables, params)


#: The steps whose kernel has work to do ahead, and the function that does it (quarter, params file, data folder).
AHEAD: dict[str, Callable[[str, str, str], None]] = {"02_demand": _demand_ahead}


def compute_ahead(step: str, quarter: str, params_path: str = "", data_dir: str = "") -> None:
    """Do the work ``step`` can do ahead (nothing for a step without any), with the run's notebook parameters. Never
    raises: whatever fails here, the step does itself and reports."""
    work = AHEAD.get(step)
    if work is None:
        return
    try:
        work(quarter, params_path, data_dir)
    except Exception:  # noqa: BLE001 - the step computes what could not be computed ahead, and says what failed
        pass


def ahead_code(step: str, parameters: dict) -> str:
    """The code that makes a kernel do ``step``'s work ahead, with the notebook ``parameters`` of the run (empty when
    the step has none)."""
    if step not in AHEAD:
        return ""
    return (f"from salesops.runner.ahead import compute_ahead\n"
            f"compute_ahead({step!r}, {parameters['quarter']!r}, {parameters['params_path']!r}, "
            f"{parameters['data_dir']!r})")
