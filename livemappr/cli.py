"""The ``livemappr`` command.

Runs on: the main thread.

Errors are one line, ``livemappr: error: ...``, naming the bad value and what
is allowed; exit status 2 for usage, 1 for run-time failures. Never a
traceback for a user's mistake. What no command turned into a
:class:`~livemappr.errors.LivemapprError` (``OSError``, ``ValueError``,
``OverflowError``, ``RecursionError``, ``MemoryError``) is one line too, exit
status 1; ``LIVEMAPPR_TRACEBACK=1`` shows its traceback instead, for a bug
report. Any other exception is a bug and keeps its traceback.
"""

import argparse
import contextlib
import functools
import logging
import math
import os
import sys

# OpenMP threads that spin while they wait take a whole core from the others
# on a 2-core machine (measured: map steps 4x slower); must be set before
# numba or scikit-learn load.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from livemappr import __version__
from livemappr.errors import LivemapprError, UsageError


#: Set (to anything but "" or "0") to see the traceback of an unexpected error.
TRACEBACK_ENV = "LIVEMAPPR_TRACEBACK"
#: Errors a command can meet at run time without a bug in it (a disk, memory,
#: a value nobody checked yet): one line at the boundary.
_ONE_LINE = (OSError, ValueError, OverflowError, RecursionError, MemoryError)


def _one_line(e):
    """``e`` as the text after ``livemappr: error:``: one line, a hint what to do."""
    if isinstance(e, MemoryError):
        text = "out of memory"
    elif isinstance(e, RecursionError):
        text = "nested too deeply (Python's recursion limit)"
    elif isinstance(e, OSError) and e.strerror:
        name = e.filename if e.filename is not None else ""
        if isinstance(name, str):
            name = os.fsencode(name)
        name = os.fsdecode(name).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        text = f"{name}: {e.strerror}" if name else e.strerror
    else:
        text = str(e) or type(e).__name__
    text = " ".join(text.split())
    if len(text) > 300:
        text = text[:297] + "..."
    if isinstance(e, OSError):
        hint = f"{TRACEBACK_ENV}=1 shows where"
    else:
        hint = f"unexpected {type(e).__name__}: please report it with what {TRACEBACK_ENV}=1 shows"
    return f"{text} ({hint})"


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


class _ShowDefaults(argparse.HelpFormatter):
    """Each option's default after its help, unless the help says it already.

    Options whose default is None take it from ``defaults_from()``, called
    only when help is shown (``live``: the config dataclasses' defaults,
    which a config file can change); flags and options with no default show
    none.
    """

    def __init__(self, prog, defaults_from=None, **kwargs):
        super().__init__(prog, **kwargs)
        self.defaults = defaults_from() if defaults_from else {}

    def _get_help_string(self, action):
        text = action.help or ""
        if not action.option_strings or "default" in text or action.nargs == 0:
            return text
        default = action.default if action.default is not None else self.defaults.get(action.dest)
        if default is None or default is argparse.SUPPRESS:
            return text
        return f"{text} (default: {str(default).replace('%', '%%')})".strip()


def _live_defaults():
    """``live``'s defaults: the config dataclasses' fields, by option name."""
    import dataclasses

    from livemappr.audio.config import EngineConfig
    from livemappr.session.session import SessionConfig

    return {f.name: f.default for cls in (EngineConfig, SessionConfig) for f in dataclasses.fields(cls)
            if f.default is not dataclasses.MISSING}


class _Handler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record comes (a test's capture too)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


class _Format(logging.Formatter):
    """``livemappr: warning: ...``, as errors are ``livemappr: error: ...``."""

    def format(self, record):
        text = super().format(record)
        text = text[len("livemappr: "):] if text.startswith("livemappr: ") else text
        return f"livemappr: {record.levelname.lower()}: {text}"


@contextlib.contextmanager
def logging_to_stderr(verbose=0, quiet=False):
    """The ``livemappr`` loggers on stderr while a command runs: warnings and
    errors; ``verbose`` 1 adds info (the C libraries' start-up lines among
    them), 2 debug; ``quiet`` errors only.

    The handler filters, and the logger's own level is lowered only for
    ``-v``: a program (or a test) that calls :func:`main` keeps its own
    logging as it was, before and after.
    """
    logger = logging.getLogger("livemappr")
    handler = _Handler()
    handler.setFormatter(_Format("%(message)s"))
    handler.setLevel(logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)])
    old_level = logger.level
    if verbose:
        logger.setLevel(handler.level)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def _devices(args):
    from livemappr.commands import devices

    return devices.run(args)


def _demo(args):
    from livemappr.commands import demo

    demo.run(args.out, play=not args.no_play)
    return 0


def _live(args):
    from livemappr.commands import live

    return live.run(args)


def _sessions(args):
    from livemappr.commands import sessions

    return sessions.run(args)


def _warmup(args):
    from livemappr.commands import warmup

    if not 8000 <= args.samplerate <= 384000:
        raise UsageError(f"--samplerate must be in 8000..384000, got {args.samplerate}")
    return warmup.run(args)


def _map(args):
    from livemappr.commands.map import make_map

    if args.clusters < 1 or args.clusters > 64:
        raise UsageError(f"--clusters must be in 1..64, got {args.clusters}")
    if not (math.isfinite(args.quiet_db) and 0 <= args.quiet_db <= 100):
        raise UsageError(f"--quiet-db must be in 0..100 dB, got {args.quiet_db}")
    make_map(args.paths, args.out, clusters=args.clusters, slicing="grid" if args.grid else "onset",
             labels=args.report, jobs=args.jobs, quiet_db=args.quiet_db, teach=args.teach, refit=args.refit,
             scheduler=args.scheduler, whole=args.tracks)
    return 0


def _similar(args):
    from livemappr.commands import similar

    return similar.run(args)


def _export(args):
    from livemappr.commands.export import export

    export(args.dir, args.out, force=args.force, rate=args.rate, bits=args.bits, hardware=args.hardware)
    return 0


def build_parser():
    parser = _Parser(prog="livemappr", description="Record, map and play sounds live.")
    parser.add_argument("--version", action="version", version=f"livemappr {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    p = sub.add_parser("devices", help="list audio devices")
    p.set_defaults(run=_devices)
    p = sub.add_parser("demo", help="play the built-in demo (no sound card needed)")
    p.add_argument("--out", default="out", help="folder for the rendered WAV (default: out)")
    p.add_argument("--no-play", action="store_true", help="only write the file, even with a sound card")
    p.set_defaults(run=_demo)
    p = sub.add_parser("live", help="the live engine: mic in, map growing, clusters on OSC/MIDI")
    p.add_argument("--session", metavar="DIR", help="keep everything recorded here; resume it next time "
                   "(default: a new dated folder, see livemappr sessions)")
    p.add_argument("--no-session", action="store_true", help="keep nothing: no journal, map files or take.wav")
    p.add_argument("--allow", action="append", metavar="ADDR/NET",
                   help="who may reach OSC and the map view (repeat it; default: private networks, "
                        "'default' for them)")
    p.add_argument("--input", metavar="FILE", help="play FILE as the mic, in real time")
    p.add_argument("--output", metavar="FILE", help="also write what the engine plays to FILE")
    p.add_argument("--device", metavar="ID|NAME",
                   help="audio device for input and output (see livemappr devices); none: no card "
                        "(default: JACK's when a server runs, else the system's)")
    p.add_argument("--input-device", metavar="ID|NAME", help="the mic's device, if not --device's (default: --device)")
    p.add_argument("--output-device", metavar="ID|NAME", help="the device played to, if not --device's "
                                                                 "(default: --device)")
    p.add_argument("--input-channel", type=int, metavar="N",
                   help="the input device's channel the mic is on, from 1 (default: 1)")
    p.add_argument("--samplerate", type=int, metavar="N", help="frames per second of the stream")
    p.add_argument("--blocksize", type=int, metavar="N", help="frames per callback (under JACK: its period)")
    p.add_argument("--osc-port", type=int, metavar="PORT", help="OSC port (default 8000; 0: no OSC)")
    p.add_argument("--midi-in", metavar="NAME", help="connect the MIDI input whose name contains NAME")
    p.add_argument("--no-midi", action="store_true", help="no virtual livemappr MIDI port")
    p.add_argument("--web-port", type=int, metavar="PORT", help="the map view in a browser (default 8080; 0: off)")
    p.add_argument("--web-host", metavar="ADDR", help="where the map view listens (default all interfaces)")
    p.add_argument("--web-names", metavar="NAME[,NAME]",
                   help="more names the map view answers to (a DNS name of this machine); others get 403")
    p.add_argument("--web-clients", type=int, metavar="N", help="map views at once (default 32)")
    p.add_argument("--quiet-db", type=float, metavar="DB",
                   help="an onset this far under the recent hits is no sound of its own (default 10; 0: keep all)")
    p.add_argument("--voice", action="store_true",
                   help="play by voice: each onset of the input plays the taught pad it sounds like, at once")
    p.add_argument("--corpus", metavar="DIR",
                   help="with --voice: play the sounds of this map (livemappr map KIT --out DIR; named pads "
                        "by name) instead of the session's own")
    p.add_argument("--library", metavar="LIB",
                   help="a library (livemappr map FOLDER --out LIB) whose sounds nearest a sound of yours are "
                        "found (OSC /livemappr/similar) and played (/livemappr/similar/play)")
    p.add_argument("--clusters", type=int, metavar="N", help="clusters on the map (16 pads, 26 keys)")
    p.add_argument("--grid", action="store_true", help="cut the input into a fixed grid, not at onsets")
    p.add_argument("--sync", choices=("internal", "link"),
                   help="tempo: internal (own; follows MIDI clock in; default) or link (Ableton Link session; "
                        "pip install 'livemappr[link]')")
    p.add_argument("--config", metavar="FILE", help="a TOML file with [engine] and [session] sections")
    p.set_defaults(run=_live)
    p = sub.add_parser("sessions", help="the sessions kept in the data directory, newest first")
    p.set_defaults(run=_sessions)
    p = sub.add_parser("warmup", help="compile the engine's kernels now (after an install or update)")
    p.add_argument("--samplerate", type=int, default=48000, metavar="N",
                   help="the rate you will play at (default 48000)")
    p.set_defaults(run=_warmup)
    p = sub.add_parser("map", help="a track or folders of one-shots onto a map (map.json, map.png)")
    p.add_argument("paths", nargs="+", help="audio files (sliced) and folders of one-shots (one sound each)")
    p.add_argument("--out", required=True, help="folder for map.json and map.png, and the library index "
                   "(OUT/index: the next run analyses only new and changed files)")
    p.add_argument("--clusters", type=int, default=16, help="clusters (16 pads; 26 for keys a-z)")
    p.add_argument("--grid", action="store_true", help="cut tracks into a fixed grid, not at onsets")
    p.add_argument("--tracks", action="store_true",
                   help="every file (named or in a folder) is a whole track: one point each, described over "
                        "its whole length (songs, loops), not cut into sounds nor only its first second")
    p.add_argument("--quiet-db", type=float, default=10.0, metavar="DB",
                   help="an onset this far under the recent hits is no sound of its own (a breath, a "
                        "lip noise); 0: keep every onset (drums with ghost notes: 16 or 0; default 10)")
    p.add_argument("--report", metavar="LABELS_CSV", help="path,label rows: print map quality against them")
    p.add_argument("--teach", metavar="EXAMPLES_CSV",
                   help="example,pad rows (a file or a time in the track, a pad name or number): "
                        "teach the pads; every snippet in map.json gets its pad")
    p.add_argument("--jobs", type=int, default=None, help="threads for decoding and features (default: cores)")
    p.add_argument("--refit", action="store_true",
                   help="fit the whole map afresh (default: the sounds of the last map in --out keep their places "
                        "and new ones join them; only new and changed files are analysed either way)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="analyse the files on a Dask cluster (tcp://host:8786; the workers must see the files "
                        "at the same paths; pip install 'livemappr[dask]'); the map is still made here")
    p.set_defaults(run=_map)
    p = sub.add_parser("similar", help="the sounds of a library (livemappr map ... --out LIB) nearest to a file "
                                       "or to a sound made at the mic")
    p.add_argument("file", nargs="?", help="an audio file (analysed as the library's files were: a one-shot, or a "
                                           "whole track in a map made with --tracks)")
    p.add_argument("--mic", action="store_true",
                   help="instead of FILE: listen on the input device until one sound is heard, and use it")
    p.add_argument("--library", default=".", metavar="LIB",
                   help="a map's folder, holding the library index (default: the current folder)")
    p.add_argument("-n", type=int, default=20, help="how many sounds")
    p.add_argument("--play", action="store_true",
                   help="audition the sounds found, nearest first, on the audio output (JACK's when a server runs)")
    p.add_argument("--device", metavar="ID|NAME",
                   help="audio device for --mic and --play (see livemappr devices; default as live chooses)")
    p.add_argument("--seconds", type=float, default=30.0, metavar="S",
                   help="with --mic: give up when no sound is heard in this long (default 30)")
    p.set_defaults(run=_similar)
    p = sub.add_parser("export", help="a map's clusters as WAV files and an .sfz instrument")
    p.add_argument("dir", help="a map or session folder (holding map.json)")
    p.add_argument("--out", required=True, help="the kit folder to write")
    p.add_argument("--force", action="store_true", help="write into a folder that is not empty")
    p.add_argument("--rate", type=int, metavar="HZ",
                   help="sample rate of the WAVs (44100, 48000, ...; default the map's)")
    p.add_argument("--bits", type=int, metavar="N", help="16 or 24 (integer PCM) or 32 (float); default 24")
    p.add_argument("--hardware", action="store_true",
                   help="for hardware samplers: mono 16-bit, 44.1 or 48 kHz, numbered 8.3 names")
    p.set_defaults(run=_export)
    _add_verbosity(parser, sub)
    return parser


def _add_verbosity(parser, sub):
    """``-v``/``-q`` before the command or after it, and each command's
    help with its defaults."""
    for p, default in [(parser, None)] + [(p, argparse.SUPPRESS) for p in sub.choices.values()]:
        group = p.add_mutually_exclusive_group()
        group.add_argument("-v", "--verbose", action="count", default=0 if default is None else default,
                           help="say more: -v what happens (info), -vv debug")
        group.add_argument("-q", "--quiet", action="store_true", default=False if default is None else default,
                           help="errors only, no warnings")
        if p is not parser:
            p.formatter_class = functools.partial(_ShowDefaults, defaults_from=_live_defaults
                                                  if p.prog.endswith(" live") else None)


def main(argv=None):
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        with logging_to_stderr(args.verbose, args.quiet):
            return args.run(args)
    except LivemapprError as e:
        print(f"livemappr: error: {e}", file=sys.stderr)
        return e.exit_status
    except KeyboardInterrupt:
        return 130
    except _ONE_LINE as e:
        if os.environ.get(TRACEBACK_ENV, "") not in ("", "0"):
            raise
        try:
            print(f"livemappr: error: {_one_line(e)}", file=sys.stderr)
        except MemoryError:
            print("livemappr: error: out of memory", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
