"""Every settings model speaks one vocabulary: one base class, field types with one message shape.

Parametrised over every settings model (every subclass of ``salesops.settings.base.Settings``, found after
importing the whole ``Params`` model) and every field whose type carries a rule: a bad value gives one line
naming the dotted key, what is expected, the value once and the file that set it.
"""

import types
import typing

import pytest
import yaml
from pydantic import BaseModel

import salesops.plan_params  # noqa: F401  (imports every step's settings)
from salesops.plan_params import Params, load_params
from salesops.settings.base import Settings, settings_or_default
from salesops.settings.fields import Months, Rule, Share, rule_of
from salesops.settings.loader import ParamsError, validate

from builders import ROOT


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


SETTINGS_MODELS = sorted({model for model in _subclasses(Settings) if model.__module__.startswith("salesops.")},
                         key=lambda model: (model.__module__, model.__name__))


def _models_in(annotation) -> list[type]:
    """The pydantic models an annotation holds: itself, or inside tuple/list/dict/union."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in typing.get_args(annotation) for model in _models_in(arg)]


def _reachable(model: type[BaseModel]) -> set[type]:
    seen = {model}
    for field in model.model_fields.values():
        for inner in _models_in(field.annotation):
            if inner not in seen:
                seen |= _reachable(inner)
    return seen


def _section_paths(model: type[BaseModel], prefix: tuple = ()) -> dict[type, tuple]:
    """The key path of every model nested directly (not in a list or mapping) under ``model``."""
    paths = {}
    for name, field in model.model_fields.items():
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            paths[field.annotation] = (*prefix, name)
            paths.update(_section_paths(field.annotation, (*prefix, name)))
    return paths


SECTION_PATHS = _section_paths(Params)

RULED_FIELDS = [(model, name, rule_of(field)) for model in SETTINGS_MODELS
                for name, field in model.model_fields.items() if rule_of(field) is not None]


def _nested(path: tuple, value) -> dict:
    for key in reversed(path):
        value = {key: value}
    return value


def test_every_model_of_the_params_is_a_settings_model():
    loose = {model.__name__ for model in _reachable(Params) if not issubclass(model, Settings)}
    assert not loose, f"not built on salesops.settings.base.Settings: {loose}"
    assert len(SETTINGS_MODELS) >= 28, [model.__name__ for model in SETTINGS_MODELS]


@pytest.mark.parametrize("model", SETTINGS_MODELS, ids=lambda model: model.__name__)
def test_every_model_is_strict_frozen_and_validates_its_defaults(model):
    assert model.model_config["extra"] == "forbid"
    assert model.model_config["frozen"] is True
    assert model.model_config["validate_default"] is True


@pytest.mark.parametrize("model", SETTINGS_MODELS, ids=lambda model: model.__name__)
def test_every_number_has_a_field_type(model):
    """A number (int or float, optional or not) is typed with the vocabulary, so it is checked one way."""
    def numeric(annotation) -> bool:
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
            return len(args) == 1 and numeric(args[0])
        return annotation in (int, float)

    untyped = [name for name, field in model.model_fields.items()
               if numeric(field.annotation) and rule_of(field) is None]
    assert not untyped, f"{model.__name__}: numbers without a settings field type: {untyped}"


@pytest.mark.parametrize("model, name, rule", RULED_FIELDS,
                         ids=[f"{model.__name__}.{name}" for model, name, _ in RULED_FIELDS])
def test_a_bad_value_is_one_uniform_line(tmp_path, model, name, rule: Rule):
    path = tmp_path / "q.yaml"
    if model in SECTION_PATHS or model is Params:
        key_path = (*SECTION_PATHS.get(model, ()), name)
        path.write_text(yaml.safe_dump(_nested(key_path, rule.bad)), encoding="utf-8")
        with pytest.raises(ParamsError) as error:
            load_params("2027Q1", path, ROOT)
    else:  # a model inside a list or mapping (a tier, a routing rule...): validated on its own
        key_path = (name,)
        with pytest.raises(ParamsError) as error:
            validate(model, [(path, {name: rule.bad})])
    dotted = ".".join(key_path)
    lines = [line for line in str(error.value).splitlines() if line.startswith(f"  - {dotted}: ")]
    assert lines == [f"  - {dotted}: {rule.message}; got {rule.bad!r} (set in {path})"], str(error.value)
    assert lines[0].count("got ") == 1


def test_the_message_shape_by_hand():
    assert Rule("a share from 0 to 1 (0.15 = 15%)", 0.15, 1.5, lambda v: 0 <= v <= 1).message == (
        "expected a share from 0 to 1 (0.15 = 15%), e.g. 0.15")


class _Example(Settings):
    share: Share = 0.5
    months: Months(1, 60) = 12


def test_whole_numbers_accept_a_float_without_fraction_and_reject_one_with():
    assert _Example(months=12.0).months == 12 and isinstance(_Example(months=12.0).months, int)
    with pytest.raises(ValueError, match=r"expected a whole number of months from 1 to 60, e.g\. 12"):
        _Example(months=12.5)
    for bad in (True, "12", float("nan")):
        with pytest.raises(ValueError, match="expected a whole number of months"):
            _Example(months=bad)


def test_shares_reject_percentages_text_and_bools():
    assert _Example(share=1).share == 1.0
    for bad in (15, "0.15", True, float("inf")):
        with pytest.raises(ValueError, match=r"expected a share from 0 to 1 \(0\.15 = 15%\)"):
            _Example(share=bad)


def test_defaults_are_validated_and_models_are_frozen():
    with pytest.raises(ValueError, match="expected a share"):
        type("_BadDefault", (Settings,), {"__annotations__": {"share": Share}, "share": 2.0})()
    with pytest.raises(ValueError, match="frozen"):
        _Example().share = 0.1  # type: ignore[misc]


def test_settings_or_default():
    assert settings_or_default(None, _Example) == _Example()
    given = _Example(share=0.1)
    assert settings_or_default(given, _Example) is given
    with pytest.raises(ValueError, match=r"settings must be an? _Example \(or None for the defaults\); got dict"):
        settings_or_default({"share": 0.1}, _Example)


def test_the_params_loader_imports_no_analysis():
    import ast
    import pathlib

    import salesops.settings.loader as loader

    tree = ast.parse(pathlib.Path(loader.__file__).read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    analyses = ("salesops.collect", "salesops.demand", "salesops.supply", "salesops.align", "salesops.report",
                "salesops.runner", "salesops.plan_params")
    assert not [name for name in imported if name.startswith(analyses)], imported
