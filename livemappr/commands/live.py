"""``livemappr live``: the instrument, from the command line and a config file.

Runs on: the main thread (the session starts every other thread).

Exit status 1, with one line, when any of the capture could not be saved
(a full or failing disk): never 0 having lost audio.

Without ``--session`` the session is kept anyway, in a new dated folder under
the user's data directory (:mod:`livemappr.session.folders`), unless
``--no-session``. MIDI learn writes the ``[midi]`` section of the ``--config``
file (without one: ``livemappr.toml`` in the session folder).
"""

import pathlib
import sys

from livemappr.errors import LivemapprError, UsageError


def _no_device(session_cfg, engine_cfg):
    """Why there is no device to run on, when none was named; else None.

    The devices are chosen now, before seconds of start-up: one that was
    named and cannot be used is a one-line error listing what exists, not a
    quiet fallback.
    """
    from livemappr.audio.devices import NoDevice, choose
    from livemappr.errors import MissingLibrary

    named = [v for v in (session_cfg.device, session_cfg.input_device, session_cfg.output_device) if v is not None]
    if session_cfg.device is not None and str(session_cfg.device).lower() == "none":
        return None
    try:
        choose(session_cfg.device, session_cfg.input_device, session_cfg.output_device, session_cfg.input_channel,
               in_channels=engine_cfg.in_channels, out_channels=engine_cfg.out_channels,
               need_input=not session_cfg.input)
    except (NoDevice, MissingLibrary) as e:
        if named:
            raise
        return str(e)
    return None


def run(args):
    from livemappr.session import settings
    from livemappr.audio.config import EngineConfig
    from livemappr.session.session import Session, SessionConfig
    from livemappr.control.midimap import MidiMap

    allow = _allow(args.allow)
    overrides = {
        "engine": {"samplerate": args.samplerate, "blocksize": args.blocksize},
        "session": {"directory": args.session, "input": args.input, "output": args.output,
                    "device": args.device, "input_device": args.input_device,
                    "output_device": args.output_device, "input_channel": args.input_channel,
                    "osc_port": args.osc_port, "midi_in": args.midi_in,
                    "clusters": args.clusters, "slicing": "grid" if args.grid else None,
                    "midi": False if args.no_midi else None, "web_port": args.web_port,
                    "web_host": args.web_host, "web_names": args.web_names, "web_clients": args.web_clients,
                    "quiet_db": args.quiet_db, "voice": True if getattr(args, "voice", False) else None,
                    "corpus": getattr(args, "corpus", None),
                    "library": getattr(args, "library", None), "allow": allow, "sync": args.sync},
    }
    loaded = settings.load(args.config, {"engine": EngineConfig, "session": SessionConfig, "midi": MidiMap},
                           overrides)
    reason = _no_device(loaded["session"], loaded["engine"])  # a bad device fails before a folder is made
    session_cfg, made = _session_folder(args, loaded["session"], settings, SessionConfig)
    if reason:
        print(f"livemappr: no sound card: running without one (--device none): {reason}", file=sys.stderr)
        session_cfg = settings.build(SessionConfig, "session", {**session_cfg.__dict__, "device": "none"})
    map_file = args.config or (str(pathlib.Path(session_cfg.directory) / "livemappr.toml")
                               if session_cfg.directory else None)
    try:
        session = Session(loaded["engine"], session_cfg, midi_map=loaded["midi"], midi_map_file=map_file).start()
    except BaseException:
        if made is not None:
            from livemappr.session.folders import remove_if_empty

            remove_if_empty(made)  # a run that never started leaves no empty dated folder
        raise
    try:
        session.run()
    finally:
        session.stop()
    if session.unsaved_frames:  # never exit 0 having lost audio
        sr = session.engine_config.samplerate
        raise LivemapprError(
            f"{session.unsaved_frames / sr:.1f} s of the capture could not be saved in {session_cfg.directory} "
            f"({session.unsaved_reason or 'the disk failed'}); its capture.f32 holds "
            f"{session.saved_frames / sr:.1f} s")
    return 0


def _allow(values):
    """``--allow`` entries checked (one line for a bad one), or None when not given."""
    from livemappr.control.allowlist import entries

    if not values:
        return None
    try:
        return entries(values, "--allow")
    except ValueError as e:
        raise UsageError(str(e)) from None


def _session_folder(args, cfg, settings, config_class):
    """``cfg`` with a new dated folder when no directory was given (none with
    ``--no-session``), and that folder (None if not made here)."""
    from livemappr.session.folders import FolderError, new_folder

    if args.no_session:
        if args.session:
            raise UsageError("--session and --no-session: use one of them")
        return settings.build(config_class, "session", {**cfg.__dict__, "directory": None}), None
    if cfg.directory:
        return cfg, None
    try:
        made = new_folder()
    except FolderError as e:  # the engine plays anyway: the user did not ask for a folder
        print(f"livemappr: {e}; this session is not kept (--session DIR to choose a folder)", file=sys.stderr)
        return cfg, None
    print(f"livemappr: keeping this session in {made} (--session DIR to choose, --no-session for none)",
          file=sys.stderr, flush=True)
    return settings.build(config_class, "session", {**cfg.__dict__, "directory": str(made)}), made
