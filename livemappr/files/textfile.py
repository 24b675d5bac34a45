"""Reading a text file a user named (JSON, TOML), every failure a one-line error.

Runs on: whichever thread reads the file (the main thread for settings, the
map's reader for ``map.json``).
"""


def read_parsed(path, parse, parse_error, error, *, subject, fmt, missing=""):
    """``parse(path.read_text())``; a missing, unreadable or malformed file raises ``error``.

    Parameters
    ----------
    path : pathlib.Path
    parse : callable(str) -> object
        ``json.loads``, ``tomllib.loads``.
    parse_error : exception type
        What ``parse`` raises for bad content.
    error : exception type
        Raised with the message (a :class:`~livemappr.errors.UsageError`).
    subject : str
        How the messages name the file: ``"config file x.toml"``.
    fmt : str
        The format's name for the message: ``"JSON"``.
    missing : str
        Added to the "does not exist" message: what to do about it.
    """
    try:
        return parse(path.read_text())
    except FileNotFoundError:
        raise error(f"{subject} does not exist{missing}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise error(f"cannot read {subject}: {e}") from None
    except parse_error as e:
        raise error(f"{subject} is not valid {fmt}: {e}") from None
