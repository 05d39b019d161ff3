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
from salesops.contract.validation import (NOTHING_LEFT, MappingRules, Problem, find_problems, masked,
                                          reject_share_problems)
from salesops.data import files
from salesops.data.inputs import derive_segments, inputs_from, inventory, mapping_rules, read_inputs
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
    """Check the data the params (or ``data_dir``) point at; never raises for bad data.

    Every problem of every table in one pass: first why a table cannot be used at all (a file that cannot be
    read, a clash in the mapping, a missing required column, no rows), table by table in load order, then the
    row problems of the tables that could be used, root causes before the problems they cause (a bad reps row
    before the opportunities that point to it). The tables and the mapping used are printed first."""
    try:
        source, raw = read_inputs(params, root, data_dir)
    except DataError as error:
        return CheckReport(False, [("Problems:", [str(error)])])
    rules = mapping_rules(params, source.using_sample)
    heading, where = source.described
    sections = [(heading, [where])]
    unusable = dict(raw.unreadable)
    mapping_lines = []
    for table in source.files:
        if table in unusable:
            mapping_lines.append(f"{table} ({raw.sources[table]}): cannot be read (see the problems below)")
            continue
        table_raw = raw.tables[table]
        parts = [(raw.sources[table], table_raw)] if isinstance(table_raw, pd.DataFrame) else table_raw
        mapping_lines += [f"{table} ({name}): " + "; ".join(
            [*raw.joined[table], _mapping_text(table, [str(c) for c in frame.columns], rules)])
            for name, frame in parts]
    sections.append(("Tables and columns:", mapping_lines))
    sources = raw.sources
    found = find_problems(raw.tables, sources, rules)
    unusable.update(found.table_level)
    result = found.result
    problems = ([unusable[table] for table in schema.LOAD_ORDER if table in unusable]
                + _row_problem_lines(result.problems, result.rejects))
    if unusable:
        return CheckReport(False, sections + [("Problems:", problems)])
    if result.tables["opportunities"].empty:
        return CheckReport(False, sections + [("Problems:", [NOTHING_LEFT.strip()] + problems)])
    tables, adjustments = derive_segments({name: frame.reset_index(drop=True) for name, frame in result.tables.items()},
                                          result.adjustments, params)
    inputs = inputs_from(source, tables, result.rejects, adjustments)
    sections.append(("Rows and dates:", _frame_lines(inventory(inputs).drop(columns="used_for"))))
    supported = analyses.availability(tables, inputs.derived)
    sections.append(("Analyses:", [f"{'yes' if row.available else 'no '}  {row.analysis}"
                                   + ("" if row.available else f" (add {row.missing})")
                                   for row in supported.itertuples()]))
    if len(adjustments):
        sections.append(("Rules applied:", [
            f"{row.table}.{row.column}: {row.detail} ({row.rows:,} row{'s' if row.rows != 1 else ''})"
            for row in adjustments.itertuples()]))
    sections.append(("Problems:", problems))
    ok = not problems
    if problems and params.data.on_row_error == "quarantine":
        limits = reject_share_problems(tables, result.rejects, sources, params.data.max_reject_share)
        ok = not limits
        sections.append(("With data.on_row_error: quarantine these rows would be set aside:",
                         _set_aside_lines(tables, result.rejects) + limits))
    unmet = requirements.unmet(tables, params, sources)
    sections.append(("What a plan needs:", unmet or ["met: won deals in the history, and a target"]))
    return CheckReport(ok and not unmet, sections)


def _mapping_text(table: str, present: list[str], rules: MappingRules) -> str:
    """How the export columns ``present`` of ``table`` map: 'mapped Owner → rep_id, name; canonical ...; read by the
    preset Status → stage (won, lost) ...; kept as extra columns ...' (a table collapsed to one row per key keeps
    no extra column: 'collapsed to one row per account_id (data.collapse); other columns left out ...')."""
    feeds = rules.feeds(table, present)
    canonical = schema.TABLES[table].column_names
    fed = {target for targets in feeds.values() for target in targets}
    mapped = [f"{src} → {', '.join(targets)}" for src, targets in feeds.items() if src in present]
    as_is = [c for c in present if c in canonical and c not in fed]
    reads = rules.preset.prepare_reads.get(table, {}) if rules.preset is not None else {}
    read = [f"{c} → {reads[c]}" for c in present if c in reads and c not in feeds and c not in canonical]
    ignored = [c for c in present if c not in feeds and c not in canonical and c not in reads]
    collapsed = table in rules.collapse
    return "; ".join(part for part in (
        f"mapped {'; '.join(mapped)}" if mapped else "",
        f"canonical {', '.join(as_is)}" if as_is else "",
        f"read by the preset {'; '.join(read)}" if read else "",
        f"collapsed to one row per {schema.TABLES[table].primary_key[0]} (data.collapse)" if collapsed else "",
        f"{'other columns left out' if collapsed else 'kept as extra columns'} {', '.join(ignored)}" if ignored else "",
    ) if part)


def _row_problem_lines(problems: list[Problem], rejects: pd.DataFrame, show: int = 3) -> list[str]:
    """One message per row problem, root causes first: a problem whose every row is set aside only because a
    row it points to has a problem of its own (``rejects.is_cause`` false) comes after the others, and a
    problem with such rows names their root causes (``rejects.cause``)."""
    lines = []
    for problem in problems:
        rows = rejects[(rejects["table"] == problem.table) & (rejects["file"] == problem.source)
                       & (rejects["column"] == problem.column) & (rejects["problem"] == problem.code)
                       & rejects["row"].isin(problem.row_numbers())]
        inherited = rows.loc[~rows["is_cause"]].drop_duplicates(quarantine.ROW_KEY)
        line = masked(problem).message()
        if len(inherited):
            causes = list(dict.fromkeys(inherited["cause"]))
            more = f" and {len(causes) - show:,} more" if len(causes) > show else ""
            line += (f" Of these, {len(inherited):,} only because the row they point to has a problem of its own "
                     f"(fix it and they pass): {'; '.join(causes[:show])}{more}.")
        consequence_only = len(inherited) == len(rows.drop_duplicates(quarantine.ROW_KEY)) and len(rows) > 0
        lines.append((consequence_only, line))
    return [line for consequence_only, line in sorted(lines, key=lambda pair: pair[0])]


#: Root causes listed one by one in the set-aside summary; the rest are counted.
_SHOW_CAUSES = 10


def _set_aside_lines(tables: dict[str, pd.DataFrame], rejects: pd.DataFrame) -> list[str]:
    """Share of each table set aside, the won bookings among them and the root causes, largest first."""
    lines = []
    for name, frame in tables.items():
        gone = quarantine.rows_set_aside(rejects, name)
        if gone:
            lines.append(f"{name}: {gone / (len(frame) + gone):.1%} of the rows ({gone:,})")
    won = quarantine.won_set_aside(rejects, tables["opportunities"])
    if won.deals:
        lines.append(f"won deals: {won.deals:,} worth {won.value:,.0f}, {won.share:.1%} of all won bookings")
    causes = quarantine.rejects_by_cause(rejects)
    # the causes that take other rows or won bookings with them; a row with a problem of its own only is already
    # counted under Problems, and a long export would list hundreds of them one by one
    notable = causes[(causes["rows"] > 1).to_numpy(bool) | (causes["won_value"] > 0).to_numpy(bool)]
    for row in notable.head(_SHOW_CAUSES).itertuples():
        lines.append(f"because of {row.cause}: {row.rows:,} row{'s' if row.rows != 1 else ''}"
                     + (f" (then {row.because_of_it})" if row.because_of_it else ""))
    shown = min(len(notable), _SHOW_CAUSES)
    rest = len(causes) - shown
    if rest:
        rows = f"{rest:,} {'more ' if shown else ''}row{'s' if rest != 1 else ''}"
        lines.append(f"{'and ' if shown else ''}{rows} set aside for a problem of {'their' if rest != 1 else 'its'} "
                     "own that nothing else depends on (each kind is listed under Problems)")
    return lines
