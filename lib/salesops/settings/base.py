"""The one base class of every settings model, and the one helper for optional settings arguments.

Every section of the params (``icp:``, ``supply:``, ``quotas:`` ...) and every model nested in one is a
:class:`Settings`: unknown keys are rejected, a model is frozen once made, and defaults are validated like
any given value (so a default cannot break its own rule). Fields use the types of
:mod:`salesops.settings.fields`; a hand-written validator is left only for a rule across fields.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ConfigDict


class Settings(BaseModel):
    """Base of every settings model: extra keys forbidden, frozen, defaults validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


SettingsModel = TypeVar("SettingsModel", bound=BaseModel)


def settings_or_default(settings: SettingsModel | None, model: type[SettingsModel],
                        name: str = "settings") -> SettingsModel:
    """``settings`` itself when it is a ``model``, the default settings ``model()`` when it is None, and a
    ValueError naming the argument ``name`` and the expected class for anything else ("None means the default
    settings")."""
    if settings is None:
        return model()
    if not isinstance(settings, model):
        article = "an" if model.__name__[0] in "AEIOU" else "a"
        raise ValueError(f"{name} must be {article} {model.__name__} (or None for the defaults); "
                         f"got {type(settings).__name__}")
    return settings
