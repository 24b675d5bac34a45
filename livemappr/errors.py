"""Errors a user can act on; the CLI prints them as one line.

``UsageError`` (exit status 2) is a bad value the user gave; any other
``LivemapprError`` (exit status 1) is a run-time failure.
"""


class LivemapprError(Exception):
    """A failure with a message fit to show the user as it is."""

    exit_status = 1


class UsageError(LivemapprError):
    """A bad value from the user: the message names it and what is allowed."""

    exit_status = 2


class ConfigError(UsageError):
    """A configuration field out of range."""

    def __init__(self, field, value, allowed):
        super().__init__(f"{field} must be {allowed}, got {value!r}")
        self.field, self.value, self.allowed = field, value, allowed


class DeviceError(UsageError):
    """An unknown audio device or settings it cannot do."""


class MissingLibrary(DeviceError):
    """A system library the engine needs is not installed (a run-time failure, exit 1)."""

    exit_status = 1


class MissingExtra(LivemapprError):
    """A feature needs an optional dependency that is not installed."""

    def __init__(self, what, module, extra):
        super().__init__(f"{what} needs {module}, which is not installed: "
                         f"pip install 'livemappr[{extra}]'")
        self.module, self.extra = module, extra


class CommandQueueFull(LivemapprError):
    """The audio thread is not taking commands as fast as they come."""
