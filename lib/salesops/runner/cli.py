"""The ``salesops`` command.

    salesops run QUARTER [--params FILE] [--data DIR] [--out DIR]
    salesops new-quarter
    salesops check [--data DIR] [--params FILE] [--quarter QUARTER]
"""

from __future__ import annotations

import argparse
import sys

from salesops.errors import DataError, StepError
from salesops.settings.loader import ParamsError, new_quarter_file


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="salesops", description="Quarterly sales-operations planning workbook.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run every step of a quarter and render its reports")
    run.add_argument("quarter", help="the quarter to plan, as YYYYQn (fiscal year and quarter), e.g. 2027Q1")
    run.add_argument("--params", help="params file merged over params/defaults.yaml "
                                      "(default: params/QUARTER.yaml when it exists)")
    run.add_argument("--data", help="folder of input tables (default: as the params say; the sample company)")
    run.add_argument("--out", help="report folder (default: reports/QUARTER)")
    commands.add_parser("new-quarter", help="write the next quarter's params file from the latest one")
    check = commands.add_parser("check", help="validate a data folder against the data contract, without running")
    check.add_argument("--data", help="folder of input tables (default: as the params say)")
    check.add_argument("--params", help="params file merged over params/defaults.yaml")
    check.add_argument("--quarter", help="quarter whose params to use (default: the one being planned)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            from salesops.runner.run import run_quarter

            index = run_quarter(args.quarter, args.params, args.data, args.out)
            print(f"Report: {index}")
        elif args.command == "new-quarter":
            print(f"Wrote {new_quarter_file()}")
        elif args.command == "check":
            from salesops.runner.check import check_data
            from salesops.runner.run import default_quarter
            from salesops.plan_params import load_params

            report = check_data(load_params(args.quarter or default_quarter(), args.params), data_dir=args.data)
            print(report.text())
            return 0 if report.ok else 1
    except (ParamsError, DataError, StepError) as exc:
        print(f"salesops: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
