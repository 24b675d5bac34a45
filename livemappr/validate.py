"""Checking values that come from users, surfaces and files.

Runs on: whichever thread receives the value (control threads, the main thread).

Errors are ``ValueError`` naming the value and what is allowed, so every
surface can report them as one line. Integral floats are accepted where a
whole number is meant: TouchOSC and Pure Data send every number as a float
(``3.0`` is cluster 3).
"""

import math


def whole(name, value, lo, hi=None):
    """An int from an int or an integral float (OSC clients send 3.0 for 3)."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a whole number, got {value!r}") from None
    if not math.isfinite(f) or f != int(f):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    n = int(f)
    if n < lo or (hi is not None and n > hi):
        allowed = f"{lo}.." + (str(hi) if hi is not None else "")
        raise ValueError(f"{name} must be in {allowed}, got {n}")
    return n


def number(name, value, lo, hi, lo_open=False):
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(f) or f > hi or f < lo or (lo_open and f == lo):
        bracket = "(" if lo_open else "["
        raise ValueError(f"{name} must be in {bracket}{lo}, {hi}], got {value!r}")
    return f
