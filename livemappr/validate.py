"""Checking values that come from users, surfaces and files.

Runs on: whichever thread receives the value (control threads, the main thread).

Errors are ``ValueError`` naming the value and what is allowed, so every
surface can report them as one line. Integral floats are accepted where a
whole number is meant: TouchOSC and Pure Data send every number as a float
(``3.0`` is cluster 3). A value too large for a float (a 4,000-digit
integer from a WebSocket message) is a ``ValueError`` like any other, and
the message shows only its start.
"""

import math


def shown(value, limit=80):
    """``repr(value)`` for a message: at most ``limit`` characters (a huge int as its digit count)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"a number of about {int(value.bit_length() * 0.30103) + 1} digits"
    try:
        text = repr(value)
    except Exception:  # a type whose repr fails
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[:limit] + "..."


def whole(name, value, lo, hi=None):
    """An int from an int or an integral float (OSC clients send 3.0 for 3)."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    try:
        f = float(value)
    except OverflowError:
        allowed = f"{lo}.." + (str(hi) if hi is not None else "")
        raise ValueError(f"{name} must be in {allowed}, got {shown(value)}") from None
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a whole number, got {shown(value)}") from None
    if not math.isfinite(f) or f != int(f):
        raise ValueError(f"{name} must be a whole number, got {shown(value)}")
    n = int(f)
    if n < lo or (hi is not None and n > hi):
        allowed = f"{lo}.." + (str(hi) if hi is not None else "")
        raise ValueError(f"{name} must be in {allowed}, got {shown(n)}")
    return n


def number(name, value, lo, hi, lo_open=False):
    bracket = "(" if lo_open else "["
    try:
        f = float(value)
    except OverflowError:
        raise ValueError(f"{name} must be in {bracket}{lo}, {hi}], got {shown(value)}") from None
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {shown(value)}") from None
    if not math.isfinite(f) or f > hi or f < lo or (lo_open and f == lo):
        raise ValueError(f"{name} must be in {bracket}{lo}, {hi}], got {shown(value)}")
    return f
