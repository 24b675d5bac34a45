"""Configuration files: TOML sections onto frozen dataclasses, validated once.

Runs on: the main thread, before anything starts.

Each section of the file (``[engine]``, ``[slicer]``, ...) fills one frozen
dataclass, which validates itself. Unknown sections and fields, wrong types
and out-of-range values are one-line errors that name the file, the field,
the value and what is allowed. Command-line options override the file.
"""

import dataclasses
import math
import pathlib
import tomllib
import types
import typing

from livemappr.errors import ConfigError, UsageError
from livemappr.files.textfile import read_parsed


class SettingsError(UsageError):
    """A configuration file that cannot be used."""


def _describe_type(tp):
    return {int: "a whole number", float: "a finite number", str: "a string", bool: "true or false"}.get(tp, str(tp))


def _optional(tp):
    """``X`` for ``X | None`` (``Optional[X]``), else None."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return args[0]
    return None


def _coerce(section, name, value, tp):
    """TOML gives int for ``3``; a float field accepts it. Nothing else is converted.

    ``str | None`` (and the like) takes None or the type; a float must be
    finite (TOML has ``inf`` and ``nan``).
    """
    inner = _optional(tp)
    if inner is not None:
        if value is None:
            return None
        tp = inner
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            raise ConfigError(f"{section}.{name}", _short(value), "a finite number") from None
    if tp in (int, float, str, bool):
        ok = isinstance(value, tp) and not (tp is not bool and isinstance(value, bool))
        if ok and tp is float:
            ok = math.isfinite(value)
        if not ok:
            raise ConfigError(f"{section}.{name}", _short(value), _describe_type(tp))
    return value


def _short(value):
    """A value for a message: a 4,000-digit number or a long string cut short."""
    text = repr(value)
    return value if len(text) <= 80 else _Shown(text[:77] + "...")


class _Shown(str):
    def __repr__(self):
        return str(self)


def build(cls, section, values):
    """An instance of dataclass ``cls`` from ``values`` (validated)."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ConfigError(f"{section}.{unknown[0]}", values[unknown[0]],
                          f"one of the fields {', '.join(fields)} (unknown field)")
    kwargs = {k: _coerce(section, k, v, hints.get(k)) for k, v in values.items()}
    try:
        return cls(**kwargs)
    except ConfigError:
        raise
    except (TypeError, ValueError) as e:
        raise SettingsError(f"[{section}] {e}") from None


def load(path, sections, overrides=None):
    """Read ``path`` (or nothing) into one dataclass per section.

    Parameters
    ----------
    path : path or None
    sections : dict of str to dataclass type
    overrides : dict of str to dict, optional
        ``{"engine": {"blocksize": 64}}`` from the command line: win over the file.

    Returns
    -------
    dict of str to dataclass instance
    """
    data = {}
    if path is not None:
        p = pathlib.Path(path)
        data = read_parsed(p, tomllib.loads, tomllib.TOMLDecodeError, SettingsError, subject=f"config file {p}",
                           fmt="TOML")
        unknown = sorted(set(data) - set(sections))
        if unknown:
            raise SettingsError(f"config file {p}: unknown section [{unknown[0]}]; "
                                f"sections: {', '.join(f'[{s}]' for s in sections)}")
        for name, values in data.items():
            if not isinstance(values, dict):
                raise SettingsError(f"config file {p}: {name} must be a section [{name}], got a value")
    out = {}
    for name, cls in sections.items():
        values = dict(data.get(name, {}))
        values.update({k: v for k, v in (overrides or {}).get(name, {}).items() if v is not None})
        try:
            out[name] = build(cls, name, values)
        except ConfigError as e:
            if path is not None and name in data:
                raise SettingsError(f"config file {path}: {e}") from None
            raise
    return out
