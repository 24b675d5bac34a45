"""Configuration files: TOML sections onto frozen dataclasses, validated once.

Runs on: the main thread, before anything starts.

Each section of the file (``[engine]``, ``[slicer]``, ...) fills one frozen
dataclass, which validates itself. Unknown sections and fields, wrong types
and out-of-range values are one-line errors that name the file, the field,
the value and what is allowed. Command-line options override the file.

A section whose keys are the user's own (``[midi]``: ``"note 36" = "cluster
0"``) is read by its class's ``from_section(values, section)`` instead.
:func:`write_section` puts such a section back into the file (MIDI learn):
the rest of the file, comments included, stays as it was.
"""

import dataclasses
import math
import os
import pathlib
import re
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
            raise ConfigError(f"{section}.{name}", short(value), "a finite number") from None
    if tp in (int, float, str, bool):
        ok = isinstance(value, tp) and not (tp is not bool and isinstance(value, bool))
        if ok and tp is float:
            ok = math.isfinite(value)
        if not ok:
            raise ConfigError(f"{section}.{name}", short(value), _describe_type(tp))
    return value


def short(value):
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
            out[name] = cls.from_section(values, name) if hasattr(cls, "from_section") else build(cls, name, values)
        except ConfigError as e:
            if path is not None and name in data:
                raise SettingsError(f"config file {path}: {e}") from None
            raise
    return out


_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]*?)\s*\]\]?\s*(#.*)?$")


def _owned(header, section):
    name = header.replace('"', "").replace("'", "").replace(" ", "")
    return name == section or name.startswith(section + ".")


def replace_section(text, section, lines):
    """``text`` (TOML) with section ``[section]`` (and its sub-tables) replaced by
    ``lines``, or added at the end; every other line kept as it is."""
    src = text.splitlines(keepends=True)
    start = end = None
    for i, line in enumerate(src):
        m = _HEADER.match(line)
        if m is None:
            continue
        if start is None and _owned(m.group(1), section):
            start = i
        elif start is not None and end is None and not _owned(m.group(1), section):
            end = i
    block = [f"[{section}]\n"] + [line + "\n" for line in lines]
    if start is None:
        sep = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
        return text + sep + "".join(block)
    end = len(src) if end is None else end
    while end > start + 1 and not src[end - 1].strip():  # the blank lines before the next section stay
        end -= 1
    return "".join(src[:start] + block + src[end:])


def write_section(path, section, lines, header=None):
    """Put ``[section]`` with ``lines`` into the TOML file ``path`` (made if missing), atomically.

    The new text is checked before it replaces the file: it must parse, and
    every other section must read as before (else ``SettingsError``: a file
    this simple editor cannot change safely is left alone). Written to a
    temporary file beside it, fsync'd, then renamed over it, so a crash or a
    full disk leaves the old file or the new one, never half of one.
    """
    path = pathlib.Path(path)
    target = path.resolve() if path.is_symlink() else path  # a link to the real file stays a link
    try:
        old = target.read_text(encoding="utf-8") if target.exists() else ""
    except (OSError, UnicodeDecodeError) as e:
        raise SettingsError(f"cannot read config file {path}: {getattr(e, 'strerror', None) or e}") from None
    body = ([f"# {header}"] if header else []) + list(lines)
    new = replace_section(old, section, body)
    try:
        before, after = tomllib.loads(old), tomllib.loads(new)
    except tomllib.TOMLDecodeError as e:
        raise SettingsError(f"config file {path}: cannot write [{section}] into it safely ({e})") from None
    before.pop(section, None)
    after_section = after.pop(section, None)
    if before != after or after_section != tomllib.loads("\n".join(lines)):
        raise SettingsError(f"config file {path}: cannot write [{section}] into it safely (its layout is "
                            f"beyond this editor: write the section at the end by hand)")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(new)
            f.flush()
            os.fsync(f.fileno())
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        os.replace(tmp, target)
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the rename itself survives a power cut
        finally:
            os.close(dir_fd)
    except OSError as e:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise SettingsError(f"cannot write config file {path}: {e.strerror or e}") from None
    return target
