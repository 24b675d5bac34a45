"""``livemappr live``: the instrument, from the command line and a config file.

Runs on: the main thread (the session starts every other thread).

Exit status 1, with one line, when any of the capture could not be saved
(a full or failing disk): never 0 having lost audio.
"""

import sys

from livemappr.errors import LivemapprError


def run(args):
    from livemappr.audio.stream import has_sound_card
    from livemappr.session import settings
    from livemappr.audio.config import EngineConfig
    from livemappr.session.session import Session, SessionConfig

    overrides = {
        "engine": {"samplerate": args.samplerate, "blocksize": args.blocksize},
        "session": {"directory": args.session, "input": args.input, "output": args.output,
                    "device": args.device, "osc_port": args.osc_port, "midi_in": args.midi_in,
                    "clusters": args.clusters, "slicing": "grid" if args.grid else None,
                    "midi": False if args.no_midi else None, "web_port": args.web_port,
                    "web_host": args.web_host, "web_names": args.web_names, "web_clients": args.web_clients,
                    "quiet_db": args.quiet_db, "sync": args.sync},
    }
    loaded = settings.load(args.config, {"engine": EngineConfig, "session": SessionConfig}, overrides)
    session_cfg = loaded["session"]
    if session_cfg.device is None and not has_sound_card():
        print("livemappr: no sound card: running without one (--device none)", file=sys.stderr)
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
