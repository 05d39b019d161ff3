"""``docs/data.md`` from the schema, so the documented contract is the enforced one.

    python -m salesops.contract.docs > docs/data.md
"""

from __future__ import annotations

from salesops.contract import analyses, schema

_KIND = {"string": "text", "int": "whole number", "float": "number", "date": "date", "datetime": "date and time",
         "bool": "true/false"}

INTRO = """# The data contract

The workbook reads a folder of tables: CSV (any of `,` `;` tab `|` as separator, UTF-8 with or without a
byte-order mark, or the encoding set in `data.encoding`), Parquet, or Excel (first sheet). A file is found by
its table name (`opportunities.csv`, `opportunities.parquet` or `opportunities.xlsx`) or by the name given in
`data.files`. Only **opportunities** is required; each of the others switches on the analyses that need it.
The tables may instead come from a database (`data.source: sql`: a DuckDB or SQLite file, or a PostgreSQL or
other SQLAlchemy URL, one table name or query per table): their rows are mapped and checked exactly as a
file's ([sources.md](sources.md)).

A table may come from several files (`data.files: {activities: [Task.csv, Event.csv]}`): their rows are
stacked, a column one file lacks is empty on its rows, `data.columns` applies to each file (a mapping entry
for a column a file lacks is ignored for that file), and every message names the file and row a problem is
in. `data.joins` adds columns of another file to a table's rows before mapping (a left join on a key that
must be unique in the joined file; joins apply in order, so one may use a column another added). A file may
feed a second table whose key repeats on its rows (a deals file carrying each account's region):
`data.collapse: [accounts]` collapses those rows to one per key, keeping each column's most frequent value
(ties: the first alphabetically) and saying so among the rules applied.

Names below are canonical. A CRM export keeps its own names: `data.columns` maps them onto these
(`{Opportunity ID: opportunity_id}`), `data.values` maps values (stage names such as `Closed Won`; the
mappings of the opportunities' stage and forecast category apply to the stage history too, under its own),
`data.true_values` / `data.false_values` add yes/no spellings to true/false, yes/no, y/n, on/off and 1/0
(also `1.0`/`0.0`), and `data.date_format` gives the date format (ISO `2026-03-31` is always read). Columns not
listed here are kept as they are. In every id column (`*_id`), a placeholder for "no id" such as Salesforce's
`000000000000000AAA` (15 or 18 characters of zeros, ending in nothing, `AAA` or `AAAAAA`) is read as empty, and
`salesops check` and the data-quality page count the cells.

A file's first non-empty row is its header; each column name appears once. Timestamps with a zone or
offset (`2026-01-05T10:00:00Z`, `+02:00`) are converted to the company's time zone (`timezone`, default
UTC) and those without one are taken as company time; a date is the company-local calendar date. Numbers
are read with `data.decimal_separator` and `data.thousands_separator` (default `.` and `,`; spaces may
group thousands in threes, `1 234 567`), and money may carry the company currency's code or sign
(`$1,234.50`, `USD 1,234.50`) but no other currency's.

Each column below is **required** (the table cannot be read without it), **derivable** (filled by a stated
rule when the export lacks it or leaves a cell empty: the data-quality page lists each rule applied and the
rows it touched) or **optional** (the analyses that need it say so when it is missing). Besides derivable
columns, a reps table gets a row for each manager named in `manager_id` and each owner named in another table
that it lacks (a CRM's "Unassigned", a deactivated user), so no deal points to a person who does not exist.

## Rules every row must meet

- Required columns present, and filled where the table says *not empty*.
- Dates readable; numbers readable and finite (no `inf`, `nan`); amounts and counts zero or more; values
  from the allowed list.
- Money in the company currency (`JPY 5,000,000` or `€99` in a USD company breaks the rule) and not written
  ambiguously: with the default separators, `48.800` or `1.234.567` could group thousands with dots, so set
  the two separator params to the export's convention. Deals entered in several currencies name theirs in
  `opportunities.currency` and are converted with the `currency_rates` table (rates per one unit of a base
  currency, dated or not; a deal at the rate in force on its close date); the amount as entered is kept and
  the data-quality section states the conversion. A currency without a rate breaks the rule.
- Money values at most `data.max_amount_ratio` (default 1,000,000) times the median of their column's
  positive values (an account's annual revenue excepted); above `data.flag_amount_ratio` (1,000) the
  data-quality audit lists them.
- A closed opportunity closes by the end of the planning horizon (the planned quarter and the
  `forecast.horizon_quarters` after it).
- Primary keys unique; foreign keys point at a row of the referenced table when that table is provided.
- Dates in order: an opportunity closes on or after it was created, a lead converts on or after it was
  created, a rep leaves on or after being hired, a deal's change is dated on or after the deal's creation day.

A row that breaks a rule stops the run with a message naming the file, column, rows (numbered as in a
spreadsheet: the header is row 1, a blank line counts) and the fix, or, with `data.on_row_error: quarantine`,
is set aside in the rejects table that the data-quality section counts and lists. Input files are never modified.
A row set aside only because the row it points to was set aside (the deals of a rejected rep) names that row as its
cause, and the section groups the rows by cause and states the won bookings set aside; `data.max_reject_share`
limits both the share of each table's rows and the share of the won bookings that may be set aside.

Besides the columns marked personal below, a column the contract does not know whose name says it holds an e-mail
address, a phone number or a person's name (`Contact Email`, `Mobile`, `First Name`; `Name` in leads) is personal
data: its values are never shown on executive pages and the report's tables do not keep it.

A plan needs at least one won deal closed by the end of the data, and a target: `collect.target`, or bookings in
the same quarter a year before the planned one when that quarter is wholly in the data (else the mean of the last
complete quarters, stated). `salesops check` and a run (before its first step) say so when either is missing.

## Stages

Canonical opportunity stages, in funnel order: """


def column_status(column: schema.ColumnSpec) -> str:
    """How a column is needed, in words: ``required`` (``, not empty``), ``derivable from …`` (filled by a rule
    of ``derive.py`` when the export lacks it or leaves a cell empty) or ``optional``."""
    if column.required:
        return "required" + (", not empty" if not column.nullable else "")
    if column.derived_from:
        return f"derivable from {column.derived_from}"
    return "optional"


def data_contract_markdown() -> str:
    lines = [INTRO + ", ".join(f"`{s}`" for s in schema.STAGES) + ".", ""]
    for spec in schema.TABLES.values():
        key = ", ".join(f"`{c}`" for c in spec.primary_key) or "none"
        lines += [f"## {spec.name}{' (required)' if spec.required else ''}", "", spec.description, "",
                  f"Primary key: {key}."]
        if spec.foreign_keys:
            links = "; ".join(f"`{fk.column}` → `{fk.ref_table}.{fk.ref_column}`" for fk in spec.foreign_keys)
            lines.append(f"Links: {links}.")
        lines += ["", "| column | type | required / derivable / optional | meaning | example |",
                  "| --- | --- | --- | --- | --- |"]
        for column in spec.columns:
            required = column_status(column)
            meaning = column.description
            if column.allowed:
                meaning += " One of: " + ", ".join(f"`{v}`" for v in column.allowed) + "."
            if column.non_negative:
                meaning += " Zero or more."
            if column.personal:
                meaning += " Never shown on executive pages."
            lines.append(f"| `{column.name}` | {_KIND[column.kind]} | {required} | {meaning} | `{column.example}` |")
        lines.append("")
    lines += ["## What each analysis needs", "",
              "Every step runs on opportunities alone; a section whose needs are not met says in one sentence what "
              "it would show and what to add (a table derived from the opportunities does not count as provided).",
              "", "| step | analysis | shows | needs |", "| --- | --- | --- | --- |"]
    for analysis in analyses.ANALYSES:
        needs = "; ".join(f"`{table}`" + (f" ({', '.join(f'`{c}`' for c in columns)})" if columns else "")
                          for table, columns in analysis.needs)
        lines.append(f"| {int(analysis.step[:2])} | {analysis.name} | {analysis.shows} | {needs} |")
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(data_contract_markdown(), end="")
