"""The analysis worker: capture ring -> slicer -> features -> sample bank -> map.

Runs on: the analysis worker thread (one). It is the only writer of the
sample bank.

It never blocks the audio thread: it reads the capture ring through its own
cursor (the audio thread never waits for it), cuts snippets, computes their
feature vectors (numba kernels that release the GIL), copies their audio into
the bank, and hands each one to the map worker through a bounded queue. When
the map worker falls behind, the queue is full: the worker waits (the ring
holds a minute of audio) and counts it as backpressure, visible in
:attr:`AnalysisWorker.stats`. Anything that goes wrong with one chunk or one
snippet is counted by kind, reported once, and analysis goes on.
"""

import itertools
import queue
from dataclasses import dataclass, field

import numpy as np

from livemappr.analysis.attack import attack_extractor, attack_window
from livemappr.analysis.features import FeatureConfig, FeatureExtractor
from livemappr.analysis.slicer import GridConfig, GridSlicer, OnsetSlicer, SlicerConfig
from livemappr.realtime.bank import BankFull
from livemappr.threads import Daemon


@dataclass(frozen=True)
class AnalysedSnippet:
    """One new sound, ready for the map.

    Attributes
    ----------
    id : int
        Numbered from 0 in the order snippets were cut.
    start, end, onset : int
        Absolute stream frames.
    slot : int
        Bank slot holding its audio (-1 if the bank was full).
    vector : ndarray of shape (n_features,), float32, or None
        None once the map worker has put the snippet on the map: the map keeps
        the one copy (``LiveMap.features[i]``).
    peak_db, rms_db : float
    ended_by : str
        Why the slicer ended it ("onset", "silence", "max_length", "grid", ...).
    """

    id: int
    start: int
    end: int
    onset: int
    slot: int
    vector: np.ndarray = field(repr=False)
    peak_db: float
    rms_db: float
    ended_by: str
    #: the vector of its first 5.8 ms from the onset (analysis/attack.py), what
    #: a pad taught with it is played by voice from; None where not made
    attack: np.ndarray | None = field(default=None, repr=False)


class AnalysisWorker:
    """Slices the live input and analyses every new sound.

    Parameters
    ----------
    engine : livemappr.audio.engine.Engine
    slicing : {"onset", "grid"}
    slicer_config : SlicerConfig or GridConfig, optional
        Its sample rate must be the engine's.
    features : FeatureConfig, optional
    start_frame : int, optional
        First stream frame to analyse; default what is captured now.
    queue_size : int
        Snippets waiting for the map worker before backpressure.
    on_error : callable(str), optional
        Told once per kind of failure.
    first_id : int
        Id of the first snippet (a resumed session goes on counting).
    """

    def __init__(self, engine, slicing="onset", slicer_config=None, features=None, start_frame=None,
                 queue_size=256, poll_seconds=0.01, on_error=None, first_id=0):
        sr = engine.config.samplerate
        if slicing == "onset":
            self.slicer = OnsetSlicer(slicer_config or SlicerConfig(sample_rate=sr))
        elif slicing == "grid":
            self.slicer = GridSlicer(slicer_config or GridConfig())
        else:
            raise ValueError(f"slicing must be one of onset, grid, got {slicing!r}")
        cfg_rate = getattr(self.slicer.config, "sample_rate", sr)
        if cfg_rate != sr:
            raise ValueError(f"slicer sample_rate must be the engine's ({sr}), got {cfg_rate}")
        self.engine = engine
        self.samplerate = sr
        self.extractor = FeatureExtractor(features or FeatureConfig())
        self.reader = engine.ring_reader(start_frame)
        self.snippets = queue.Queue(maxsize=queue_size)
        self.poll_seconds = poll_seconds
        self.on_error = on_error or (lambda message: None)
        self.stats = {"snippets": 0, "frames": 0, "missed_frames": 0, "lost_snippets": 0, "bank_full": 0,
                      "backpressure": 0, "errors": 0, "quiet_onsets": 0, "merged_onsets": 0}
        self.errors = {}
        self.recording = True  # whether the mic feeds the map (/livemappr/record)
        self._ids = itertools.count(first_id)
        #: audio-driven triggering (analysis/voice.py), set by the session; its
        #: ``enabled`` switches it (and the worker then reads the ring every ms)
        self.voice = None
        self._attack = None  # the attack window's extractor, made at the first snippet
        self._thread = Daemon("livemappr-analysis", self._run,
                              on_error=lambda message: self._error("thread", message))
        self._stop = self._thread.stopping

    # -- thread -----------------------------------------------------------------
    def start(self):
        self._thread.start()

    def stop(self):
        """Analyse what is captured, close the last snippet, and stop."""
        self._thread.stop()
        self.step()
        self._handle(self.slicer.flush())

    def _run(self):
        while not self._stop.is_set():
            if self.step() == 0:
                voice = self.voice
                # a voice that plays the pads waits for its onsets' first 5.8 ms:
                # look at the ring every millisecond then, not every 10
                self._stop.wait(0.001 if voice is not None and voice.enabled else self.poll_seconds)

    # -- one pass -----------------------------------------------------------------
    def step(self):
        """Read what the ring holds, slice and analyse it. Returns frames read."""
        read = self.reader.read()
        if read.missed:
            self.stats["missed_frames"] += read.missed
            self._error("ring_overflow", f"analysis fell behind: {read.missed} frames of input not analysed")
        n = read.frames
        if n == 0:
            return 0
        voice = self.voice
        if not self.recording and (voice is None or not voice.enabled):
            self.reader.release(read)  # the input goes on being journalled, not mapped
            return n
        try:
            mono = self._mono(read)
            lost = self.reader.release(read)
            if lost:
                self.stats["missed_frames"] += lost
            if voice is not None:
                self._voice(voice, mono, read.start)
            if not self.recording:
                return n
            snippets = self.slicer.feed(mono, read.start)
        except Exception as e:  # one bad chunk must not stop analysis
            self._error(type(e).__name__, f"slicing failed: {e}")
            return n
        self.stats["frames"] += n
        # onsets the slicer kept off the pads: mouth noises under the running level, second halves of "ksh"
        self.stats["quiet_onsets"] = getattr(self.slicer, "n_quiet", 0)
        self.stats["merged_onsets"] = getattr(self.slicer, "n_merged", 0)
        self._handle(snippets)
        return n

    def _voice(self, voice, mono, start):
        try:
            voice.feed(mono, start)
        except Exception as e:  # a failing decision must not stop the slicing
            self._error("voice_" + type(e).__name__, f"playing by voice failed: {e}")

    def _mono(self, read):
        channels = read.first.shape[1]
        if channels == 1:
            return np.concatenate([read.first[:, 0], read.second[:, 0]])
        return read.copy().mean(axis=1, dtype=np.float32)

    def _handle(self, snippets):
        for s in snippets:
            try:
                item = self._analyse(s)
            except Exception as e:
                self._error(type(e).__name__, f"analysing a snippet failed: {e}")
                continue
            if item is not None:
                self._hand_over(item)

    def _analyse(self, s):
        audio = self.reader.copy_range(s.start, s.end)
        if audio is None:
            self.stats["lost_snippets"] += 1
            self._error("lost_snippet", "a snippet's audio left the ring before it was analysed")
            return None
        mono = audio[:, 0] if audio.shape[1] == 1 else audio.mean(axis=1, dtype=np.float32)
        mono = np.ascontiguousarray(mono)
        report = self.extractor.analyze(mono, self.samplerate)
        attack = self._attack_vector(mono, s.onset - s.start)
        try:
            slot = self.engine.bank.add(mono)
        except BankFull as e:
            slot = -1
            self.stats["bank_full"] += 1
            self._error("bank_full", str(e))
        self.stats["snippets"] += 1
        return AnalysedSnippet(next(self._ids), s.start, s.end, s.onset, slot, report.vector.copy(),
                               report.peak_db, report.rms_db, s.ended_by, attack)

    def _attack_vector(self, mono, at):
        if self._attack is None:
            try:
                self._attack = attack_extractor()
            except FileNotFoundError as e:  # a checkout without the trained projection
                self._attack = False
                self._error("no_attack_projection", str(e))
        if not self._attack:
            return None
        window = attack_window(mono[max(0, at):], self.samplerate)
        return self._attack.vector(window, self.samplerate).copy() if window.size else None

    def _hand_over(self, item):
        try:
            self.snippets.put_nowait(item)
            return
        except queue.Full:
            self.stats["backpressure"] += 1
        while True:  # the map worker is behind: wait (the audio thread never does)
            try:
                self.snippets.put(item, timeout=0.1)
                return
            except queue.Full:
                if self._stop.is_set() and self._thread is not None and not self._thread.is_alive():
                    return  # stopping with nobody reading: the snippet stays in the bank

    def _error(self, kind, message):
        self.stats["errors"] += 1
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if self.errors[kind] == 1:
            self.on_error(message)
