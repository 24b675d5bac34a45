"""``livemappr live``: the instrument, from the command line and a config file.

Runs on: the main thread (the session starts every other thread).

Exit status 1, with one line, when any of the capture could not be saved
(a full or failing disk): never 0 having lost audio.
"""

import sys

from livemappr.errors import LivemapprError


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

    overrides = {
        "engine": {"samplerate": args.samplerate, "blocksize": args.blocksize},
        "session": {"directory": args.session, "input": args.input, "output": args.output,
                    "device": args.device, "input_device": args.input_device,
                    "output_device": args.output_device, "input_channel": args.input_channel, "osc_port": args.osc_port, "midi_in": args.midi_in,
                    "clusters": args.clusters, "slicing": "grid" if args.grid else None,
                    "midi": False if args.no_midi else None, "web_port": args.web_port,
                    "web_host": args.web_host, "web_names": args.web_names, "web_clients": args.web_clients,
                    "quiet_db": args.quiet_db, "voice": True if getattr(args, "voice", False) else None,
                    "corpus": getattr(args, "corpus", None)},
    }
    loaded = settings.load(args.config, {"engine": EngineConfig, "session": SessionConfig}, overrides)
    session_cfg = loaded["session"]
    reason = _no_device(session_cfg, loaded["engine"])
    if reason:
        print(f"livemappr: no sound card: running without one (--device none): {reason}", file=sys.stderr)
        session_cfg = settings.build(SessionConfig, "session", {**session_cfg.__dict__, "device": "none"})
    session = Session(loaded["engine"], session_cfg).start()
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
