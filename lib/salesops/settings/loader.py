"""Reading, merging and validating params files against a settings model it is given, with clear messages.

``params/defaults.yaml`` holds every knob; ``params/<QUARTER>.yaml`` (or a file given with
``--params``) holds only what differs and is merged over it key by key. The merged result is
validated once, before anything runs. Unknown keys are rejected naming the file, the key and the
nearest valid key; bad values naming the dotted key, the value (once), what is expected and the file
that set it.

This module knows no analysis: the model of all params of a quarter is assembled in
:mod:`salesops.plan_params`, which calls :func:`read_files` and :func:`validate` with it.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from salesops import fiscal_calendar
from salesops.paths import project_paths

Model = TypeVar("Model", bound=BaseModel)


class ParamsError(ValueError):
    """A params file is unreadable, has an unknown key, or a value out of range."""


def require_known(name: str, valid: list[str], what: str) -> None:
    """A ValueError "unknown <what> <name> (did you mean ...?); valid: ..." unless ``name`` is in ``valid``."""
    if name not in valid:
        raise ValueError(f"unknown {what} {name!r}{nearest_hint(name, valid)}; valid: {', '.join(valid)}")


def nearest_hint(name: str, valid: Sequence[str]) -> str:
    """The text ``" (did you mean 'x'?)"`` naming the entry of ``valid`` nearest to ``name``, or "" when none is near."""
    close = difflib.get_close_matches(str(name), valid, n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


# -- reading and merging -------------------------------------------------------------------------


def read_yaml(path: Path) -> dict[str, Any]:
    """Read one params file; an empty file is an empty mapping."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParamsError(f"params file {path} does not exist") from None
    try:
        content = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ParamsError(f"params file {path} is not valid YAML: {exc}") from None
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise ParamsError(f"params file {path} must hold a mapping of keys, not {type(content).__name__}")
    return content


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """A new dict: ``override`` merged over ``base``; nested mappings merge key by key."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def check_keys(raw: dict[str, Any], model: type[BaseModel], path: Path, prefix: str = "") -> None:
    """Reject keys the model does not know, naming the file, the key and the nearest valid key."""
    fields = model.model_fields
    for key, value in raw.items():
        dotted = f"{prefix}{key}"
        if key not in fields:
            valid = list(fields)
            raise ParamsError(
                f"{path}: unknown key '{dotted}'{nearest_hint(str(key), valid)}. "
                f"Valid keys{' under ' + prefix.rstrip('.') if prefix else ''}: {', '.join(valid)}"
            )
        annotation = fields[key].annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if not isinstance(value, dict):
                raise ParamsError(f"{path}: '{dotted}' must be a mapping of keys, got {value!r}")
            check_keys(value, annotation, path, prefix=f"{dotted}.")


def _set_in(raw: dict[str, Any], location: tuple) -> bool:
    """Whether the file content ``raw`` sets the key at ``location`` (keys, and positions in lists)."""
    node: Any = raw
    for part in location:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return False
    return True


def params_files(quarter: str, params_path: Path | str | None = None, root: Path | None = None) -> list[Path]:
    """The files merged for a quarter, in merge order: defaults, then the quarter's own file if any."""
    paths = project_paths(root)
    files = [paths.defaults]
    if params_path:
        files.append(Path(params_path))
    elif paths.quarter_params(quarter).exists():
        files.append(paths.quarter_params(quarter))
    return files


def read_files(files: Sequence[Path], model: type[BaseModel]) -> list[tuple[Path, dict[str, Any]]]:
    """Each file's content, in merge order, its keys checked against ``model`` (unknown keys are rejected
    naming the file, the key and the nearest valid key)."""
    raws = []
    for path in files:
        raw = read_yaml(path)
        check_keys(raw, model, path)
        raws.append((Path(path), raw))
    return raws


def validate(model: type[Model], raws: list[tuple[Path, dict[str, Any]]],
             overrides: dict[str, Any] | None = None) -> Model:
    """The files' contents merged in order (then ``overrides``) and validated once as ``model``; a
    :class:`ParamsError` lists every bad value with its dotted key, the value, what is expected and the file
    that set it."""
    merged: dict[str, Any] = {}
    for _, raw in raws:
        merged = deep_merge(merged, raw)
    merged = deep_merge(merged, overrides or {})
    try:
        return model.model_validate(merged)
    except ValidationError as exc:
        raise ParamsError(explain(exc, raws)) from None


def explain(exc: ValidationError, raws: list[tuple[Path, dict]] = ()) -> str:
    """One line a bad value: ``  - <dotted key>: <what is expected>; got <value> (set in <file>)``.

    The value is shown once, by this line (field types and validators do not repeat it); a rule across
    the fields of a section names its values itself, so a whole section is not shown.
    """
    lines = ["the params are not valid:"]
    for error in exc.errors():
        location = tuple(part for part in error["loc"] if not str(part).startswith("function-"))
        key = ".".join(str(part) for part in location) or "(top level)"
        origin = next((str(p) for p, raw in reversed(raws) if location and _set_in(raw, location)), None)
        source = f" (set in {origin})" if origin else ""
        message = error["msg"].removeprefix("Value error, ")
        value = ""
        if "input" in error and not isinstance(error["input"], dict):
            value = f"; got {error['input']!r}"
        lines.append(f"  - {key}: {message}{value}{source}")
    return "\n".join(lines)


def dump(params: BaseModel) -> dict[str, Any]:
    """Params as plain JSON-ready values (dates as ISO strings), for the manifest."""
    return params.model_dump(mode="json")


def new_quarter_file(root: Path | None = None) -> Path:
    """Write ``params/<next quarter>.yaml`` from the latest quarter's file and return its path.

    Quarter-specific keys (``as_of``, ``collect.target``) are not carried over.
    """
    paths = project_paths(root)
    quarter_files = sorted(p for p in paths.params.glob("*.yaml") if fiscal_calendar.QUARTER_PATTERN.match(p.stem))
    if not quarter_files:
        raise ParamsError(f"no quarter params file (like 2027Q1.yaml) in {paths.params} to start from")
    latest = max(quarter_files, key=lambda p: (int(p.stem[:4]), int(p.stem[-1])))
    next_label = fiscal_calendar.shift_quarter(latest.stem, 1)
    target = paths.quarter_params(next_label)  # later than the latest file, so it cannot exist yet
    raw = read_yaml(latest)
    raw.pop("as_of", None)
    raw.pop("quarter", None)
    if isinstance(raw.get("collect"), dict):
        raw["collect"] = {k: v for k, v in raw["collect"].items() if k != "target"}
        if not raw["collect"]:
            raw.pop("collect")
    header = (
        f"# Params for {next_label}, merged over defaults.yaml. Started from {latest.name};\n"
        "# quarter-specific keys (as_of, collect.target) were not carried over.\n"
    )
    body = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True) if raw else ""
    target.write_text(header + body, encoding="utf-8")
    return target
