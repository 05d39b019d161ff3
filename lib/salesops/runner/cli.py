"""The ``salesops`` command.

    salesops run QUARTER|next [--params FILE] [--data DIR] [--out DIR] [--from STEP | --only STEP | --force] [--json]
    salesops new-quarter
    salesops check [--data DIR] [--params FILE] [--quarter QUARTER]

Exit codes (``docs/automation.md``): 0 done; 1 the run or check failed (params, data, a step, the report folder, or
``--only`` on out-of-date earlier steps); 2 the command line is wrong (a step ``--from``/``--only`` does not
know); 3 another run of the same report folder is in progress (try again later).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

from salesops.errors import DataError, StepError
from salesops.runner.report_folder import RunInProgressError
from salesops.runner.reuse import StepChoiceError
from salesops.settings.loader import ParamsError, new_quarter_file

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUSY = 0, 1, 2, 3
#: The quarter argument that means "the quarter after today's", for scheduled runs.
NEXT = "next"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="salesops", description="Quarterly sales-operations planning workbook.",
        epilog="Exit codes: 0 done; 1 failed (params, data, a step, the report folder); 2 wrong command line; "
               "3 another run of the same report folder is in progress.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run every step of a quarter and render its reports")
    run.add_argument("quarter", help="the quarter to plan, as YYYYQn (fiscal year and quarter), e.g. 2027Q1; "
                                     f"'{NEXT}' plans the quarter after today's (for scheduled runs)")
    run.add_argument("--params", help="params file merged over params/defaults.yaml "
                                      "(default: params/QUARTER.yaml when it exists)")
    run.add_argument("--data", help="folder of input tables (default: as the params say; the sample company)")
    run.add_argument("--out", help="report folder (default: reports/QUARTER)")
    steps = run.add_mutually_exclusive_group()
    steps.add_argument("--from", dest="from_step", metavar="STEP",
                       help="run STEP (collect, demand, supply, align; or 1-4) and the steps after it; earlier steps "
                            "are taken from the quarter's previous report when unchanged")
    steps.add_argument("--only", metavar="STEP",
                       help="run STEP alone on the earlier steps' artifacts from the previous report (an error when "
                            "they are out of date); later steps are kept when still up to date")
    steps.add_argument("--force", action="store_true",
                       help="run every step (by default a step whose code, params, inputs and upstream artifacts are "
                            "unchanged is taken from the previous report)")
    run.add_argument("--json", action="store_true",
                     help="print only one line of JSON at the end (quarter, status, exit code, report folder, steps "
                          "run and reused, headline figures, seconds, message)")
    commands.add_parser("new-quarter", help="write the next quarter's params file from the latest one")
    check = commands.add_parser("check", help="validate a data folder against the data contract, without running")
    check.add_argument("--data", help="folder of input tables (default: as the params say)")
    check.add_argument("--params", help="params file merged over params/defaults.yaml")
    check.add_argument("--quarter", help="quarter whose params to use (default: the one being planned)")
    return parser


def planned_quarter(params_path: str | None = None, today: dt.date | None = None) -> str:
    """The quarter after the one holding ``today``, in the fiscal calendar of the params (the defaults merged with
    ``params_path``): the quarter a scheduled run plans."""
    from salesops.paths import project_paths
    from salesops.runner.run import default_quarter
    from salesops.settings.loader import read_yaml

    files = [project_paths().defaults] + ([Path(params_path)] if params_path else [])
    start_month = 1
    for path in files:
        start_month = read_yaml(path).get("fiscal_year_start_month", start_month)
    if not isinstance(start_month, int) or not 1 <= start_month <= 12:
        raise ParamsError(f"fiscal_year_start_month must be a whole number from 1 to 12; got {start_month!r}")
    return default_quarter(today, start_month)


def _run(args) -> int:
    from salesops.runner.run import run_outcome, run_quarter

    started = time.perf_counter()
    summary = {"quarter": args.quarter, "status": "failed", "report": None, "out": None, "message": ""}
    code = EXIT_FAILED
    try:
        quarter = planned_quarter(args.params) if args.quarter == NEXT else args.quarter
        summary["quarter"] = quarter
        index = run_quarter(quarter, args.params, args.data, args.out, log=(lambda _: None) if args.json else print,
                            from_step=args.from_step, only=args.only, force=args.force)
        summary.update(status="done", report=str(index), out=str(index.parent), **run_outcome(index.parent))
        code = EXIT_OK
        if not args.json:
            print(f"Report: {index}")
    except RunInProgressError as exc:
        summary.update(status="busy", message=str(exc))
        code = EXIT_BUSY
    except StepChoiceError as exc:
        summary["message"] = str(exc)
        code = EXIT_USAGE
    except (ParamsError, DataError, StepError) as exc:
        summary["message"] = str(exc)
    if code != EXIT_OK:
        print(f"salesops: {summary['message']}", file=sys.stderr)
    if args.json:
        summary.update(exit_code=code, seconds=round(time.perf_counter() - started, 1))
        print(json.dumps(summary, sort_keys=True))
    return code


def skip_slow_optional_imports() -> None:
    """Keep this process from importing ``rfc3987_syntax``: ``jsonschema`` (which ``nbformat``, and so papermill,
    imports) uses it, when installed, only to check strings of the "iri" format, and importing it builds a grammar
    that takes about 2 s — a quarter of a rerun of step 4. No schema the workbook validates uses that format
    (``nbformat`` checks no format at all), so nothing changes but the time."""
    sys.modules.setdefault("rfc3987_syntax", None)  # None: "import rfc3987_syntax" raises ImportError


def command() -> None:
    """The ``salesops`` command: :func:`main`, then the process ends with its exit code at once, skipping the
    teardown of native libraries. Arrow's thread pools, used to read the artifacts, can abort the interpreter's
    exit ("terminate called without an active exception", exit code 134) after a run that succeeded — an
    intermittent upstream problem (apache/arrow issue 34314) that would make automation see a failure. Everything
    the run writes is closed by then; the standard streams and logging are flushed first."""
    import logging

    code = main()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    skip_slow_optional_imports()
    args = _parser().parse_args(argv)
    if args.command == "run":
        return _run(args)
    try:
        if args.command == "new-quarter":
            print(f"Wrote {new_quarter_file()}")
        elif args.command == "check":
            from salesops.runner.check import check_data
            from salesops.plan_params import load_params

            report = check_data(load_params(args.quarter or planned_quarter(args.params), args.params),
                                data_dir=args.data)
            print(report.text())
            return EXIT_OK if report.ok else EXIT_FAILED
    except (ParamsError, DataError, StepError) as exc:
        print(f"salesops: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
