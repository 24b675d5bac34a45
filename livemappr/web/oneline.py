"""One-line reports of the web view: the websockets library's log counted, and
exceptions and what clients send cut to one short printable line.

Runs on: the web thread (``livemappr-web``).
"""

import logging
import sys

__all__ = ["OneLineLog", "one_line", "shown"]


class OneLineLog(logging.LoggerAdapter):
    """The websockets library's log: its warnings and errors counted in ``errors``
    (one line for the first of each kind, no traceback); its per-connection
    news ("connection open", ...) passed on at debug level, without tracebacks."""

    def __init__(self, logger, errors):
        super().__init__(logger, {})
        self.errors = errors

    def log(self, level, msg, *args, exc_info=None, **kwargs):
        if level >= logging.WARNING:
            exc = sys.exc_info()[1] if exc_info is True else exc_info if isinstance(exc_info, BaseException) else None
            try:
                text = msg % args if args else str(msg)
            except Exception:
                text = str(msg)
            self.errors.count("websocket", f"{text}: {one_line(exc)}" if exc is not None else text)
        elif self.isEnabledFor(logging.DEBUG):  # per-connection chatter: debug, whatever level it came at
            kwargs.pop("stack_info", None)
            self.logger.log(logging.DEBUG, msg, *args, **kwargs)


def one_line(exc):
    """An exception as one short line: its type and the start of its message."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {shown(text, 160)}" if text else type(exc).__name__


def shown(text, limit=80):
    """``text`` for a log line: at most ``limit`` characters, control characters escaped."""
    text = text if isinstance(text, str) else repr(text)
    text = text.encode("unicode_escape", "backslashreplace").decode("ascii") if not text.isprintable() else text
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"
