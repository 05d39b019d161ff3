"""``salesops check``: validate a data folder against the contract without running the notebooks.

Reports which tables were found and how each export column was mapped, row counts and date ranges,
which analyses the data supports, and every problem with the same messages as a run. The data can run
when no table-level problem was found, either no row breaks a rule or the params set rows aside
(``data.on_row_error: quarantine``) within ``data.max_reject_share`` (of every table's rows and of the won
bookings), and what a plan needs is there (``requirements.unmet``, which a run checks before it starts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from salesops.contract import quarantine
from salesops.contract import analyses, schema
from salesops.contract.validation import masked, reject_share_problems, validate_tables
from salesops.data import files
from salesops.data.inputs import Inputs, inventory, locate_files, mapping_rules
from salesops.errors import DataError
from salesops.runner import requirements
from salesops.plan_params import Params


@dataclass
class CheckReport:
    """What ``check_data`` found; ``ok`` is whether ``salesops run`` can run on this data."""

    ok: bool
    sections: list[tuple[str, list[str]]] = field(default_factory=list)

    def text(self) -> str:
        parts = []
        for title, lines in self.sections:
            parts.append(title)
            parts += [f"  {line}" for line in lines] or ["  (none)"]
        parts.append("The data can run." if self.ok else "The data cannot run as it is: fix the problems above.")
        return "\n".join(parts)


def _frame_lines(frame: pd.DataFrame) -> list[str]:
    shown = frame.assign(**{c: frame[c].dt.strftime("%Y-%m-%d").fillna("–")
                            for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])})
    return shown.to_string(index=False).splitlines()


def check_data(params: Params, root: Path | None = None, data_dir: Path | str | None = None) -> CheckReport:
    """Check the data the params (or ``data_dir``) point at; never raises for bad data."""
    try:
        folder, table_files, using_sample = locate_files(params, root, data_dir)
    except DataError as error:
        return CheckReport(False, [("Problems:", [str(error)])])
    rules = mapping_rules(params, using_sample)
    sections = [("Data folder:", [str(folder)])]
    raw: dict[str, pd.DataFrame] = {}
    mapping_lines = []
    for table, path in table_files.items():
        try:
            raw[table] = files.read_table_file(path, params.data.encoding)
        except DataError as error:
            return CheckReport(False, sections + [("Problems:", [str(error)])])
        present = [str(c) for c in raw[table].columns]
        renames = rules.renames(table, present)
        canonical = schema.TABLES[table].column_names
        mapped = [f"{src} → {dst}" for src, dst in renames.items() if src in present]
        as_is = [c for c in present if c in canonical and c not in renames.values()]
        ignored = [c for c in present if c not in renames and c not in canonical]
        mapping_lines.append(f"{table} ({path.name}): " + "; ".join(
            part for part in (
                f"mapped {', '.join(mapped)}" if mapped else "",
                f"canonical {', '.join(as_is)}" if as_is else "",
                f"kept as extra columns {', '.join(ignored)}" if ignored else "",
            ) if part))
    sections.append(("Tables and columns:", mapping_lines))
    sources = {t: p.name for t, p in table_files.items()}
    try:
        result = validate_tables(raw, sources, rules, on_row_error="quarantine", max_reject_share=1.0)
    except DataError as error:
        return CheckReport(False, sections + [("Problems:", [str(error)])])
    inputs = Inputs(result.tables, result.rejects, table_files, folder, result.adjustments)
    sections.append(("Rows and dates:", _frame_lines(inventory(inputs).drop(columns="used_for"))))
    supported = analyses.availability(result.tables, inputs.derived)
    sections.append(("Analyses:", [f"{'yes' if row.available else 'no '}  {row.analysis}"
                                   + ("" if row.available else f" (add {row.missing})")
                                   for row in supported.itertuples()]))
    if len(result.adjustments):
        sections.append(("Rules applied:", [f"{row.table}.{row.column}: {row.detail} ({row.rows:,} rows)"
                                            for row in result.adjustments.itertuples()]))
    problems = [masked(problem).message() for problem in result.problems]
    sections.append(("Problems:", problems))
    ok = not problems
    if problems and params.data.on_row_error == "quarantine":
        limits = reject_share_problems(result.tables, result.rejects, sources, params.data.max_reject_share)
        ok = not limits
        sections.append(("With data.on_row_error: quarantine these rows would be set aside:",
                         _set_aside_lines(result.tables, result.rejects) + limits))
    unmet = requirements.unmet(result.tables, params, sources)
    sections.append(("What a plan needs:", unmet or ["met: won deals in the history, and a target"]))
    return CheckReport(ok and not unmet, sections)


def _set_aside_lines(tables: dict[str, pd.DataFrame], rejects: pd.DataFrame) -> list[str]:
    """Share of each table set aside, the won bookings among them and the root causes, largest first."""
    lines = []
    for name, frame in tables.items():
        gone = rejects.loc[rejects["table"] == name, "row"].nunique()
        if gone:
            lines.append(f"{name}: {gone / (len(frame) + gone):.1%} of the rows ({gone:,})")
    won = quarantine.won_set_aside(rejects, tables["opportunities"])
    if won.deals:
        lines.append(f"won deals: {won.deals:,} worth {won.value:,.0f}, {won.share:.1%} of all won bookings")
    for row in quarantine.rejects_by_cause(rejects).itertuples():
        lines.append(f"because of {row.cause}: {row.rows:,} row{'s' if row.rows != 1 else ''}"
                     + (f" (then {row.because_of_it})" if row.because_of_it else ""))
    return lines
