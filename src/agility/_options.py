"""Typed, strict option models: the base every provider's and metric's options derive from.

An option model forbids unknown keys, so a typo (``treshold``, ``base_ulr``) is an
:class:`~agility.errors.OptionsError` naming the option and the allowed ones, not a silent
default. :func:`parse_options` turns a mapping (from Python, a CLI flag or a plan file) into the
model and pydantic's errors into that one error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from agility.errors import OptionProblem, OptionsError

__all__ = ["Options", "allowed_options", "parse_options"]


class Options(BaseModel):
    """Base of option models: unknown keys are errors; values are validated and frozen.

    ``routing`` names the options that decide where a request and its credentials go (a base
    URL, the environment variable a key is read from, extra headers): a plan file may set them
    only for hosts and variables the user allowed outside the file.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True,
                              protected_namespaces=())

    routing: ClassVar[frozenset[str]] = frozenset()


OptionsT = TypeVar("OptionsT", bound=Options)


def allowed_options(model: type[Options]) -> tuple[str, ...]:
    """The option names ``model`` accepts (a field's alias when it has one), sorted."""
    return tuple(sorted(field.alias or name for name, field in model.model_fields.items()))


def parse_options(model: type[OptionsT], owner: str,
                  values: Mapping[str, Any] | OptionsT | None = None, *,
                  where: str | None = None, **more: Any) -> OptionsT:
    """Validate ``values`` (and ``more``) as ``model``.

    Args:
        model: the option model.
        owner: what the options are for, for the error (``provider openai``).
        values: a mapping, an instance of ``model`` (returned as is when ``more`` is empty), or
            None for the defaults.
        where: where the options came from (``plan.yaml:12``), for the error.
        **more: further options, merged over ``values``.

    Returns:
        The validated options.

    Raises:
        OptionsError: an unknown option or an invalid value; every problem is listed, each
            with the allowed option names when the option is unknown.
    """
    if isinstance(values, model) and not more:
        return values
    data: dict[str, Any] = dict(values.model_dump(exclude_unset=True)
                                if isinstance(values, BaseModel) else values or {})
    data.update(more)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        allowed = allowed_options(model)
        problems = []
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]) or "-"
            if error["type"] == "extra_forbidden":
                problems.append(OptionProblem(name, "unknown option", allowed))
            else:
                # a validator's ValueError reads "Value error, <what it said>": keep what it said
                problems.append(OptionProblem(name, str(error["msg"]).removeprefix("Value error, ")))
        raise OptionsError(owner, problems, where=where) from None
