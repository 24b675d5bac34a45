"""The live session: every part of the engine, started and stopped in order.

Runs on: the main thread (start, the status line, stop); it starts the
others: the audio thread (PortAudio, or a pacing thread without a card), the
journal, the analysis worker, the map worker, the map writer, the output
writer and the control surfaces.

Start order, each part ready before the next needs it: kernels compiled (no
compiling once sound runs), engine state, journal, analysis, map, control,
and the stream last, so the first callback finds everything in place. Stop is
the reverse, and everything captured is on disk before ``stop`` returns.
"""

import os
import pathlib
import sys
import threading
import time
from dataclasses import dataclass

import numpy as np

from livemappr.files import audiofile, mapfile, picture
from livemappr.audio.config import EngineConfig
from livemappr.audio.engine import Engine
from livemappr.errors import UsageError
from livemappr.threads import Daemon

SLICINGS = ("onset", "grid")
SYNCS = ("internal", "link")


@dataclass(frozen=True)
class SessionConfig:
    """What a live session does besides the engine (``[session]`` in a config file).

    Attributes
    ----------
    directory : str or None
        ``--session``: journal and map.json kept current there (every second),
        map.png redrawn every 10 s and at stop.
    input, output : str or None
        ``--input`` (a file played as the mic), ``--output`` (what the engine plays, as a file).
    device : str or None
        ``--device``: index or part of a name, for input and output; "none"
        for no sound card; default JACK's when a server runs, else the system's.
    input_device, output_device : str or None
        ``--input-device``, ``--output-device``: one side each, winning over
        ``device`` (a USB mic with a Pi's own output); one host API for both.
    input_channel : int or None
        ``--input-channel``: the input device's channel the mic is on, from 1.
    osc_port : int
        0 turns OSC off.
    midi : bool
        Open the virtual ``livemappr`` MIDI port.
    midi_in : str or None
        Hardware MIDI input to connect (name substring).
    slicing : str
        "onset" or "grid".
    clusters : int
        Clusters on the map (16 pads, 26 keys).
    speed : float
        Without a sound card: times real time (1.0 is real time; 0 as fast as it can).
    web_port : int
        The map view's port (0: off).
    web_host : str
        Where the map view listens (all interfaces: a phone on the LAN).
    quiet_db : float
        An onset this many dB under the recent hits starts no sound of its own
        (a breath, a lip noise: analysis/slicer.py); 0 keeps every onset (a
        drummer's ghost notes). 0..100, default 10.
    web_names : str or None
        More names the map view answers to, comma-separated (a DNS name of
        this machine such as ``stage.lan``); loopback, this machine's own
        names and addresses are always answered (docs/web.md).
    voice : bool
        ``--voice``: each onset of the input plays the taught pad it sounds like
        at once (analysis/voice.py; ``/livemappr/voice`` switches it).
    corpus : str or None
        ``--corpus DIR``: a map made by ``livemappr map`` whose sounds the
        voice plays instead of the session's own (session/corpus.py).
    library : str or None
        ``--library LIB``: a library (``livemappr map FOLDER --out LIB``)
        searched beside the session's own map by ``/livemappr/similar`` and
        the map view, its sounds played by ``/livemappr/similar/play``
        (session/neighbours.py).
    web_clients : int
        Map views at once, 1..1000 (32).
    allow : tuple of str or None
        Who may reach OSC and the map view: addresses and networks
        (``--allow``; ``default`` for the private networks); None: the
        default list (:mod:`livemappr.control.allowlist`).
    take : bool
        At stop, also write the journal as ``take.wav`` in the directory
        (:mod:`livemappr.session.take`).
    sync : str
        "internal" (the engine's own tempo; MIDI clock in is followed when
        it comes) or "link" (join the Ableton Link session: needs ``livemappr[link]``).
    """

    directory: str | None = None
    input: str | None = None
    output: str | None = None
    device: str | None = None
    input_device: str | None = None
    output_device: str | None = None
    input_channel: int | None = None
    osc_port: int = 8000
    midi: bool = True
    midi_in: str | None = None
    slicing: str = "onset"
    clusters: int = 16
    speed: float = 1.0
    web_port: int = 8080
    web_host: str = "0.0.0.0"
    web_names: str | None = None
    web_clients: int = 32
    quiet_db: float = 10.0
    voice: bool = False
    corpus: str | None = None
    library: str | None = None
    allow: tuple | None = None
    take: bool = True
    sync: str = "internal"

    def __post_init__(self):
        from livemappr.control.allowlist import AllowListError, entries
        from livemappr.errors import ConfigError
        from livemappr.session.settings import short

        if self.allow is not None:
            try:
                object.__setattr__(self, "allow", entries(self.allow, "session.allow"))
            except AllowListError as e:
                raise ConfigError("session.allow", short(e.value), "a list of at most 256 addresses or networks, "
                                  "such as ['192.168.1.23', '10.0.0.0/8'] ('default': the private networks)") from None

        if self.input_channel is not None and (isinstance(self.input_channel, bool) or not isinstance(
                self.input_channel, int) or not 1 <= self.input_channel <= 256):
            raise ConfigError("session.input_channel", self.input_channel, "a channel number in 1..256")
        if self.sync not in SYNCS:
            raise ConfigError("session.sync", self.sync, "one of " + ", ".join(SYNCS))
        if self.slicing not in SLICINGS:
            raise ConfigError("session.slicing", self.slicing, "one of " + ", ".join(SLICINGS))
        if not isinstance(self.osc_port, int) or not 0 <= self.osc_port <= 65535:
            raise ConfigError("session.osc_port", self.osc_port, "a port in 0..65535 (0: no OSC)")
        if not isinstance(self.web_port, int) or not 0 <= self.web_port <= 65535:
            raise ConfigError("session.web_port", self.web_port, "a port in 0..65535 (0: no map view)")
        if not isinstance(self.clusters, int) or not 1 <= self.clusters <= 64:
            raise ConfigError("session.clusters", self.clusters, "a whole number in 1..64")
        if (not isinstance(self.quiet_db, (int, float)) or isinstance(self.quiet_db, bool)
                or not 0 <= self.quiet_db <= 100):
            raise ConfigError("session.quiet_db", self.quiet_db, "a level in 0..100 dB (0: keep every onset)")
        if not isinstance(self.web_clients, int) or not 1 <= self.web_clients <= 1000:
            raise ConfigError("session.web_clients", self.web_clients, "a whole number in 1..1000")
        if self.web_names is not None and (not isinstance(self.web_names, str) or any(
                not n.strip() or len(n.strip()) > 253 or any(c.isspace() or c in "/@" for c in n.strip())
                for n in self.web_names.split(","))):
            raise ConfigError("session.web_names", self.web_names,
                              "host names separated by commas, such as 'stage.lan,192.168.1.20'")


def onset_config(samplerate, config):
    """The onset slicer's settings for a session (None with grid slicing): its
    quiet gate from ``quiet_db``, the same for the live input and a resume."""
    from livemappr.analysis.slicer import SlicerConfig

    if config.slicing != "onset":
        return None
    return SlicerConfig(sample_rate=samplerate, quiet_gate=config.quiet_db > 0, quiet_db=float(config.quiet_db or 10.0))


class Session:
    """One performance: mic in, map growing, clusters playable.

    Parameters
    ----------
    engine_config : EngineConfig
    config : SessionConfig
    log : callable(str)
    midi_map : livemappr.control.midimap.MidiMap, optional
        The ``[midi]`` section: what notes and controllers do (default today's map).
    midi_map_file : path, optional
        Where MIDI learn writes the map (the ``--config`` file; see
        :mod:`livemappr.session.midisave`); None keeps it for this run.
    """

    def __init__(self, engine_config=None, config=None, log=None, midi_map=None, midi_map_file=None):
        self.config = config or SessionConfig()
        self.midi_map, self.midi_map_file = midi_map, midi_map_file
        self.engine_config = engine_config or EngineConfig()
        self.log = log or (lambda message: print(message, file=sys.stderr, flush=True))
        self.engine = None
        self.parts = []  # started parts, stopped in reverse
        self.snapshots = None
        self.surfaces = None
        self.voice = None  # analysis/voice.py: the input plays the taught pads
        self.corpus = None  # session/corpus.py: a kit the voice plays (--corpus)
        self.neighbours = None  # session/neighbours.py: search by example (--library)
        self._voice_trigger = None
        self._mic = None
        self._published = None
        self._published_lock = threading.Lock()
        self._map_version_written = -1
        self._picture_written_at = float("-inf")
        self._file_offset = 0  # capture-file frame of this run's stream frame 0
        self._stop = threading.Event()
        self._dir_lock = None  # the session directory's, held from start to stop
        #: After stop: captured frames that are not on disk (the disk refused
        #: them, or the journal fell behind the ring), and why.
        self.unsaved_frames = 0
        self.unsaved_reason = None
        self.saved_frames = 0

    # -- start -----------------------------------------------------------------
    def start(self, source=None):
        """Start every part. ``source`` streams the input without a sound card
        (see :class:`livemappr.audio.stream.PacedStream`)."""
        try:
            return self._start(source)
        except BaseException:
            self.stop()  # what started stops, and the session directory is let go
            raise

    def _start(self, source):
        cfg, ecfg = self.config, self.engine_config
        if cfg.directory:
            from livemappr.session.journal import SessionLock

            # First: a second session on this directory (or one that cannot be
            # written) fails now, before seconds of compiling.
            self._dir_lock = SessionLock(cfg.directory)
        if cfg.library:
            from livemappr.session.library import index_folder

            index_folder(cfg.library)  # no index there: one line now, not after the kernels compiled
        self._trim = _hold_less_freed_memory()  # before any worker thread allocates
        if cfg.input:
            # the engine's input limit (EngineConfig.input_seconds <= 7200) checked on the
            # header, before a file that claims hours (or 14 Hz) is decoded
            audio = audiofile.read(cfg.input, samplerate=ecfg.samplerate, channels=ecfg.in_channels,
                                   max_seconds=7200.0 - 0.1)
            if audio.nonfinite:
                self.log(f"livemappr: {cfg.input}: {audio.nonfinite} NaN/inf samples read as 0")
            self._mic = audio.samples
            ecfg = ecfg.replace(input_seconds=self._mic.shape[0] / ecfg.samplerate + 0.1)
            self.engine_config = ecfg
        self._compile()
        self.engine = engine = Engine(ecfg)
        if self._mic is not None:
            engine.load_input(self._mic)
        if cfg.directory:
            from livemappr.session.journal import Journal

            journal = Journal(cfg.directory, engine.ring_reader(0), ecfg.samplerate, on_error=self._warn)
            journal.start(0)
            self._file_offset = journal.frames_on_disk - journal.pending_frames
            self.parts.append(("journal", journal))
        self._start_workers()
        if cfg.output:
            self.parts.append(("output", _OutputWriter(cfg.output, engine, self._warn)))
        self._start_surfaces()
        self._start_stream(source)
        return self

    def _compile(self):
        from livemappr.session.kernels import compile_all

        seconds = compile_all(self.engine_config.samplerate, log=self.log)
        self.log(f"livemappr: kernels ready in {seconds:.1f} s")

    def _start_workers(self):
        from livemappr.analysis.features import FeatureExtractor
        from livemappr.analysis.worker import AnalysisWorker
        from livemappr.control.playable import SnapshotRef
        from livemappr.mapping.livemap import LiveMap
        from livemappr.mapping.worker import MapWorker

        self.snapshots = SnapshotRef()
        # the extractor the analysis worker and resume make: the vectors this map clusters
        live = LiveMap.of_sounds(self.config.clusters, FeatureExtractor(), random_state=0)
        items = []
        if self.config.directory:
            from livemappr.session.resume import resume

            items = resume(self.config.directory, self.engine, live, self._file_offset, self.config.slicing,
                           log=self.log, quiet_db=self.config.quiet_db)
        self.analysis = AnalysisWorker(self.engine, slicing=self.config.slicing, start_frame=0,
                                       slicer_config=onset_config(self.engine_config.samplerate, self.config),
                                       on_error=self._warn, first_id=max((it.id for it in items), default=-1) + 1)
        self.mapper = MapWorker(self.analysis.snippets, live, on_publish=self._on_publish, on_error=self._warn,
                                items=items, cpu_share=self.MAP_CPU_SHARE)
        self._start_voice(live)
        from livemappr.session.neighbours import Neighbours

        self.neighbours = Neighbours(self.engine, FeatureExtractor(), self.config.library, log=self.log)
        self.parts.append(("similar", self.neighbours))
        # The map's memory for as many sounds as the bank has slots, taken now:
        # it stays the same however long the session runs (until the bank is full).
        self.mapper.reserve(max(min(self.engine_config.bank_slots, self.MAP_RESERVE_MAX), len(items)),
                            self.analysis.extractor.n_features)
        if items:
            self._on_publish(live.snapshot, self.mapper.items)
        self.analysis.start()
        self.parts.append(("analysis", self.analysis))
        self.mapper.start()
        self.parts.append(("map", self.mapper))
        if self.config.directory:
            self.parts.append(("map writer", _Every(1.0, self.write_map, "livemappr-map-writer", self._warn)))
        if self._trim is not None:
            self.parts.append(("memory trim", _Every(10.0, self._trim, "livemappr-memory-trim", self._warn)))

    def _start_voice(self, live):
        from livemappr.analysis.voice import VoiceTrigger

        try:
            voice = VoiceTrigger(self.engine_config.samplerate, self._play_by_voice, quiet_db=self.config.quiet_db)
        except FileNotFoundError as e:  # a checkout without the trained attack projection
            if self.config.voice:
                raise UsageError(f"--voice: {e}") from None
            return
        voice.pads = lambda: live.taught_attack  # the map worker swaps in a copy when pads change
        voice.enabled = bool(self.config.voice)
        self.voice = self.analysis.voice = voice
        if self.config.corpus:
            from livemappr.session.corpus import Corpus

            self.corpus = Corpus(self.config.corpus, self.engine, log=self.log)
            self.parts.append(("corpus", self.corpus))
            voice.nearest = lambda x, velocity, onset: self.corpus.play_nearest(x, velocity)

    def _play_by_voice(self, pad, velocity, onset):
        if self.corpus is not None:  # the kit's sound for this pad (by its name where both have one)
            self.corpus.play(pad, velocity, self.mapper.map.taught.names.get(pad))
            return
        trigger = self.surfaces.trigger if self.surfaces is not None else self._voice_trigger
        if trigger is not None:
            trigger.play_cluster(pad, velocity, origin="voice", from_onset=True)

    def set_voice(self, on):
        """Whether each onset of the input plays the taught pad it sounds like (``/livemappr/voice``)."""
        if self.voice is None:
            raise ValueError("playing by voice needs livemappr/data/attack_projection.npz")
        self.voice.enabled = bool(on)

    def _start_surfaces(self):
        if (not self.config.osc_port and not self.config.midi and not self.config.midi_in and not self.config.web_port
                and self.config.sync == "internal"):
            # (under Link the tempo clock runs without surfaces too: the session's peers see us)
            if self.voice is not None:  # the voice still plays through the one trigger path
                from livemappr.control.trigger import Trigger

                self._voice_trigger = Trigger(self.engine, self.snapshots).start()
                self.parts.append(("voice trigger", self._voice_trigger))
            return
        from livemappr.control.surfaces import Surfaces

        time_options = {"export_dir": self.config.directory} if self.config.directory else {}
        time_options["sync"] = self.config.sync
        self.surfaces = Surfaces(
            self.engine, self.snapshots, osc_port=self.config.osc_port or None, midi=self.config.midi,
            midi_in=[self.config.midi_in] if self.config.midi_in else [], hooks=self.hooks(),
            time_options=time_options, allow=self.config.allow)
        midi = self.surfaces.midi
        if midi is not None:
            from livemappr.session.midisave import MidiMapSaver

            if self.midi_map is not None:
                midi.map = self.midi_map
            saver = MidiMapSaver(self.midi_map_file, self.log)
            midi.on_learned = saver.learned
            self.parts.append(("midi map", saver))
        self.neighbours.trigger = self.surfaces.trigger
        self.surfaces.start()
        self.parts.append(("control", self.surfaces))
        if self.config.web_port:
            from livemappr.web import WebView

            self.web = WebView(self.surfaces.trigger,
                               status=lambda: dict(self.status(), recording=self.analysis.recording),
                               hooks=self.hooks(), host=self.config.web_host,
                               port=self.config.web_port, max_clients=self.config.web_clients,
                               allow=self.config.allow,
                               hosts=[n.strip() for n in (self.config.web_names or "").split(",") if n.strip()]
                               ).start()
            self.parts.append(("web", self.web))
            self.log(f"livemappr: map view on port {self.web.port} ({self.web.url} on this machine)")

    def _start_stream(self, source=None):
        from livemappr.audio.stream import AudioStream, PacedStream

        if self.config.device is not None and str(self.config.device).lower() == "none":
            named = [("analysis", self.analysis.reader)] + [(name, p.reader) for name, p in self.parts
                                                            if name in ("journal", "output")]
            stream = PacedStream(self.engine, speed=self.config.speed or None, readers=[r for _, r in named],
                                 source=source, names=[n for n, _ in named], on_stall=self._warn)
        else:
            stream = AudioStream(self.engine, device=self.config.device, input_device=self.config.input_device,
                                 output_device=self.config.output_device, input_channel=self.config.input_channel,
                                 need_input=not self.config.input)
            self.log(f"livemappr: {stream.choice.describe()}")
        stream.start()
        self.stream = stream
        self.parts.append(("stream", stream))

    # -- while running -------------------------------------------------------------
    def hooks(self):
        """What the control surfaces call into the session for."""
        return {"record": self.set_recording, "pad_learn": self.learn_pad, "pad_forget": self.forget_pad,
                "pad_name": self.name_pad, "voice": self.set_voice, "similar": self.neighbours.ask,
                "similar_play": self.neighbours.ask_play}

    def set_recording(self, on):
        """Whether the mic feeds the map (``/livemappr/record``)."""
        self.analysis.recording = bool(on)

    def learn_pad(self, pad, on):
        """Hold (``on``) or release pad ``pad`` (0-based) for teaching: while it
        is held, each new sound becomes one of its examples. Holding another
        pad takes over; releasing a pad that is not held does nothing."""
        pad = self._pad(pad)
        if on:
            self.mapper.learning = pad
        elif self.mapper.learning == pad:
            self.mapper.learning = None

    def forget_pad(self, pad):
        """Forget pad ``pad``'s examples and name: its sounds cluster again."""
        pad = self._pad(pad)
        self.mapper.call(lambda live: live.forget(pad))

    def name_pad(self, pad, name):
        """Name pad ``pad`` ("kick"): the map view, map.json and kits show it."""
        from livemappr.analysis.teach import valid_pad_name

        pad, name = self._pad(pad), valid_pad_name(name)  # a bad name fails here, in the caller's thread
        self.mapper.call(lambda live: live.name(pad, name))

    def _pad(self, pad):
        if isinstance(pad, bool) or not isinstance(pad, int) or not 0 <= pad < self.mapper.map.n_pads:
            raise ValueError(f"pad must be 0..{self.mapper.map.n_pads - 1}, got {pad!r}")
        return pad

    def _on_publish(self, snapshot, items):
        from livemappr.control.playable import from_published

        self.snapshots.publish(from_published(snapshot, items))
        if self.neighbours is not None:  # (on the map worker's thread: its vectors are read here)
            self.neighbours.catch_up(self.mapper.map.features)
        with self._published_lock:
            # The worker's list only grows: its length now marks what this
            # snapshot covers (no copy of every snippet 30 times a second).
            self._published = (snapshot, items, len(items))

    #: Sounds the map takes its memory for at most (~2 KB each, resident at
    #: start: 125 MB here); past that it grows as they come.
    MAP_RESERVE_MAX = 65536

    #: Share of a core the map's settling may use (a step waits while it is
    #: spent): 30 steps a second while the map is small, a step or two a second
    #: over thousands of snippets, so a long session costs what a short one does.
    MAP_CPU_SHARE = 0.02

    #: map.png is only a picture: redrawn at most this often (and at stop).
    #: map.json, which a resume needs, is written every second.
    PICTURE_SECONDS = 10.0

    def write_map(self, picture_now=False):
        """Write map.json if the map changed, and map.png every
        ``PICTURE_SECONDS`` (or now with ``picture_now``)."""
        with self._published_lock:
            published = self._published
        if published is None or published[0].version == self._map_version_written:
            return
        snapshot, items, n = published
        items = items[:n]
        sr = self.engine_config.samplerate
        ids = np.asarray(snapshot.cluster_ids)
        off = self._file_offset  # times in map.json count frames of capture.f32, across runs
        positions = np.asarray(snapshot.positions)
        entries = mapfile.SnippetColumns("capture.f32", items.id, (off + items.start) / sr,
                                         (off + items.end) / sr, positions[:n, 0], positions[:n, 1], ids[:n])
        sizes = np.bincount(ids[ids >= 0], minlength=1)
        live = self.mapper.map
        taught, attack = live.taught, live.taught_attack  # copies the map worker swaps in whole
        names = taught.names
        clusters = tuple(mapfile.ClusterEntry.of(c, int(sizes[c]), names.get(c))
                         for c in range(len(sizes)) if sizes[c])
        projection = self.analysis.extractor.projection
        space = projection.digest if projection is not None else None
        voice = self.voice.extractor.projection.digest if self.voice is not None else None
        pads = tuple(mapfile.PadEntry(d["id"], d.get("name"), tuple(map(tuple, d["examples"])), space,
                                      tuple(map(tuple, attack.examples(d["id"]).tolist())), voice)
                     for d in taught.to_json())
        directory = pathlib.Path(self.config.directory)
        mapfile.write(directory, mapfile.MapFile(sr, entries, clusters, pads))
        self._map_version_written = snapshot.version
        now = time.monotonic()
        if picture_now or now - self._picture_written_at >= self.PICTURE_SECONDS:
            picture.write_png(directory / "map.png.tmp", picture.render(
                snapshot.positions, ids, {c.id: c.key for c in clusters}))
            os.replace(directory / "map.png.tmp", directory / "map.png")
            self._picture_written_at = now

    def status(self):
        """A dict of what a performer wants to see."""
        m = self.engine.meters()
        snap = self.snapshots.get() if self.snapshots is not None else None
        return {
            "snippets": self.analysis.stats["snippets"],
            "clusters": 0 if snap is None else len(set(np.asarray(snap.cluster_ids).tolist()) - {-1}),
            "xruns": m["xruns"], "voices": m["voices"], "cpu_p99": m["p99_share"],
            "input_db": self._input_db(),
            # analysis behind: snippets waiting for the map, input not analysed
            "backpressure": self.analysis.stats["backpressure"],
            "missed_frames": self.analysis.stats["missed_frames"],
            # sounds mapped but silent: the sample bank was full (bank_seconds)
            "bank_full": self.analysis.stats["bank_full"],
            # the session directory's disk refusing the journal: seconds held in memory
            "not_on_disk": self._journal_held() / self.engine_config.samplerate,
        }

    def _journal_held(self):
        return sum(p.pending_frames for name, p in self.parts if name == "journal")

    def _input_db(self):
        reader = self.analysis.reader
        written = self.engine.captured
        recent = reader.copy_range(max(0, written - self.engine_config.samplerate // 10), written)
        if recent is None or recent.size == 0:
            return float("-inf")
        peak = float(np.abs(recent).max())
        return 20 * np.log10(peak) if peak > 0 else float("-inf")

    def run(self, until=None, status_seconds=1.0):
        """Run until Ctrl-C, SIGTERM, or ``until()`` is true; show the status."""
        import signal

        tty = sys.stderr.isatty()
        old = signal.signal(signal.SIGTERM, lambda *a: self._stop.set())
        last_log = 0.0
        try:
            while not self._stop.wait(status_seconds if until is None else 0.1):
                if until is not None and until():
                    break
                s = self.status()
                line = (f"snippets {s['snippets']}  clusters {s['clusters']}  voices {s['voices']}  "
                        f"xruns {s['xruns']}  cpu p99 {s['cpu_p99']:.2f}  input {s['input_db']:.0f} dB")
                if s["backpressure"] or s["missed_frames"]:
                    line += f"  analysis behind: {s['backpressure']} waits, {s['missed_frames']} frames missed"
                if s["bank_full"]:
                    line += f"  bank full: {s['bank_full']} sounds silent"
                if s["not_on_disk"] >= 1.0:
                    line += f"  not on disk: {s['not_on_disk']:.0f} s in memory"
                if tty:
                    print("\r" + line + "   ", end="", file=sys.stderr, flush=True)
                elif time.monotonic() - last_log >= 10:
                    self.log(line)
                    last_log = time.monotonic()
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, old)
            if tty:
                print(file=sys.stderr)

    def request_stop(self):
        self._stop.set()

    # -- stop -----------------------------------------------------------------
    def stop(self):
        """Stop every part, newest first; everything captured reaches the disk."""
        for name, part in reversed(self.parts):
            try:
                if name in ("control", "voice trigger", "corpus", "similar"):
                    part.close()
                elif name == "journal":
                    self.unsaved_frames = part.stop()
                    self.saved_frames = part.frames_on_disk
                    self.unsaved_reason = part.last_error
                    if part.missed and not part.pending_frames:
                        self.unsaved_reason = "the journal fell behind the capture ring"
                else:
                    part.stop()
            except Exception as e:  # stopping one part must not leave the others running
                self._warn(f"stopping {name}: {e}")
        if self.config.directory and self.engine is not None:
            self._map_version_written = None  # the last picture too, even if map.json is current
            try:
                self.write_map(picture_now=True)
            except Exception as e:  # the journal holds every sound; a resume cuts them again
                self._warn(f"writing the map at stop: {type(e).__name__}: {e}")
            if self.config.take:
                from livemappr.session.take import write_take

                write_take(self.config.directory, self.log)  # never raises: capture.f32 is the record
        self.parts = []
        if self._dir_lock is not None:
            self._dir_lock.release()
            self._dir_lock = None

    @property
    def unsaved_seconds(self):
        """Seconds of capture that did not reach the disk (after :meth:`stop`)."""
        return self.unsaved_frames / self.engine_config.samplerate

    def _warn(self, message):
        self.log(f"livemappr: {message}")


def _glibc():
    """The C library through ctypes where it is glibc (has ``malloc_trim``), else None."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        if libc is None or not hasattr(libc, "malloc_trim") or not hasattr(libc, "mallopt"):
            return None
    except OSError:
        return None
    libc.malloc_trim.argtypes, libc.malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
    libc.mallopt.argtypes, libc.mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return libc


_M_ARENA_MAX = -8  # glibc's malloc.h
_M_MMAP_THRESHOLD = -3
#: Blocks from this size up are mapped for themselves and unmapped when freed.
#: glibc's default starts here but rises to the largest block freed so far, after
#: which a map step's temporaries (a few MB at thousands of snippets) are cut
#: from the arenas, where they stay: a fixed threshold held 23 MB less resident
#: after a simulated 30-minute session (bench_session).
_MMAP_THRESHOLD = 128 * 1024


def _hold_less_freed_memory():
    """Keep glibc from holding memory the workers freed; returns the trim to
    call every few seconds, or None where the C library is not glibc.

    Each map step allocates and frees a few MB of temporaries (the tree, the
    forces), and each worker thread gets an arena of its own, where such freed
    memory stays for reuse. Two arenas for the process (set before the workers
    start) and a ``malloc_trim`` every 10 s held 16 MB less resident at the end
    of a simulated 30-minute session (bench_session); large temporaries are
    mapped and unmapped on their own (see ``_MMAP_THRESHOLD``). The audio
    thread never allocates, so it never waits on any of these.
    """
    libc = _glibc()
    if libc is None:
        return None
    libc.mallopt(_M_ARENA_MAX, 2)
    libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
    return lambda: libc.malloc_trim(0)


class _Every:
    """Call ``fn`` every ``seconds`` on a thread of its own. A call that fails
    is told to ``on_error`` (once per kind of error) and the calls go on."""

    def __init__(self, seconds, fn, name, on_error=None):
        self.seconds, self.fn, self.name = seconds, fn, name
        self.on_error = on_error or (lambda message: None)
        self._told = set()
        self._thread = Daemon(name, self._run, self.on_error)
        self._thread.start()  # once set: the body waits on it

    def _run(self):
        while not self._thread.stopping.wait(self.seconds):
            try:
                self.fn()
            except Exception as e:  # e.g. a disk that filled up: try again next time
                if type(e) not in self._told:
                    self._told.add(type(e))
                    self.on_error(f"{self.name.removeprefix('livemappr-')} failed ({type(e).__name__}: {e}); "
                                  "trying again")

    def stop(self):
        self._thread.stop()


class _OutputWriter:
    """What the engine plays, into a sound file (``--output``), on its own thread."""

    def __init__(self, path, engine, warn):
        import soundfile

        self.reader = engine.output_reader(0)
        try:
            self.file = soundfile.SoundFile(str(path), "w", samplerate=engine.config.samplerate,
                                            channels=engine.config.out_channels, subtype="PCM_24")
        except (RuntimeError, OSError, soundfile.LibsndfileError) as e:
            raise UsageError(f"cannot write --output {path}: {e}") from None
        self.warn = warn
        self._every = _Every(0.25, self.flush, "livemappr-output-writer", warn)

    def flush(self):
        read = self.reader.read()
        if read.missed:
            self.warn(f"--output fell behind: {read.missed} frames not written")
        if read.frames:
            self.file.write(read.copy())

    def stop(self):
        self._every.stop()
        self.flush()
        self.file.close()
