"""Typed configuration: a file (YAML or TOML) or a dict through a pydantic model, one line of error.

Every configuration model forbids unknown keys (`extra="forbid"`): a misspelt setting is an error
that names it, not a silently ignored line. `ConfigError` is a ValueError whose text is what the
CLI prints (exit 2): what was read, then `field.path: what is wrong` for each problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class ConfigError(ValueError):
    """A configuration that cannot be used; the message names the source and the field(s)."""


def errors_line(exc: ValidationError) -> str:
    """pydantic's errors as one line: `field.path: message; ...`."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg'].removeprefix('Value error, ')}"
        for e in exc.errors(include_url=False)
    )


def validate(model: type[M], data: Any, what: str) -> M:
    """`data` (a dict, or a model instance) as `model`; ConfigError naming `what` and the fields."""
    if isinstance(data, model):
        return data
    if not isinstance(data, dict):
        raise ConfigError(f"{what}: expected a mapping of settings, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{what}: {errors_line(exc)}") from None


def read_mapping(path: str | Path) -> dict:
    """A YAML (or, by suffix, TOML) file that holds a mapping; an empty file is an empty mapping."""
    path = Path(path)
    toml = path.suffix.lower() == ".toml"
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        if toml:
            import tomllib

            data = tomllib.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as exc:  # noqa: BLE001 - yaml and tomllib raise their own error types
        detail = " ".join(str(exc).split())
        raise ConfigError(f"{path} is not valid {'TOML' if toml else 'YAML'}: {detail}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings, got {type(data).__name__}")
    return data


def load_file(model: type[M], path: str | Path, what: str | None = None) -> M:
    """Read `path` and validate it as `model`."""
    return validate(model, read_mapping(path), what or str(path))
