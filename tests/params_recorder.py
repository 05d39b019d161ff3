"""Params that remember which of their keys were read: a step run with them tells which params it depends on
(``tests/test_step_dependencies.py`` checks each step's declaration in ``salesops.runner.fingerprint``)."""

from __future__ import annotations

import functools

from pydantic import BaseModel

_SEEN: dict[int, set[str]] = {}


@functools.cache
def _recording_class(model: type[BaseModel], path: str, seen_id: int):
    fields = set(model.model_fields)
    # the model's own properties and methods (``quarter_start``, ``table_files``) read fields through ``self``, and
    # those reads are recorded; pydantic's own (``model_dump``, ``model_copy``, ``__dict__``) read every field
    own = {name for cls in model.__mro__ if cls not in (BaseModel, object) and issubclass(cls, BaseModel)
           for name in vars(cls) if not name.startswith("__")}

    def __getattribute__(self, name):
        if name in fields:
            _SEEN[seen_id].add(path + name)
        elif name not in own and (name == "__dict__" or not name.startswith("__")):
            _SEEN[seen_id].add(path + "*")  # the whole section was read (``forecast.*``; ``*``: all params)
        return object.__getattribute__(self, name)

    return type(f"Recording{model.__name__}", (model,), {"__getattribute__": __getattribute__,
                                                        "__module__": model.__module__})


def recording(model: BaseModel, seen: set[str], path: str = "") -> BaseModel:
    """A copy of ``model`` (a ``Params`` or a section of it) that adds to ``seen`` the dotted key of every field
    read: ``quarter``, ``forecast``, ``forecast.freq``; a section read as a whole adds ``forecast.*``."""
    _SEEN[id(seen)] = seen
    values = {}
    for name in type(model).model_fields:
        value = model.__dict__[name]
        values[name] = recording(value, seen, f"{path}{name}.") if isinstance(value, BaseModel) else value
    return _recording_class(type(model), path, id(seen)).model_construct(
        _fields_set=set(model.model_fields_set), **values)
