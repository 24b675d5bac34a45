"""The audio looper on the surfaces: record, overdub, play, mute, undo, clear per track.

Runs on: control threads (OSC server, MIDI poller); :meth:`LoopControl.export`
on whichever thread asks.

The looper itself runs on the audio thread (:mod:`livemappr.realtime.looper`);
every action here is one engine command carrying the frame it applies at.
That frame is the next bar line when a tempo runs (so the first loop, opened
and closed on bar lines, is whole bars long, and the tempo clock is then
locked to its length so bar lines and loop boundaries never part), or the
steady trigger latency after the press otherwise.

The pedal (:meth:`LoopControl.pedal`) is the one-footswitch cycle of a looper
pedal: empty -> record -> play (the first press closes the loop) -> overdub
-> play -> overdub ...
"""

import pathlib

import numpy as np

from livemappr.audio.engine import LOOP_SOURCES
from livemappr.validate import number, whole

QUANTIZE = ("bar", "beat", "off")


class LoopControl:
    """Looper actions from the surfaces, on bar lines when a tempo runs.

    Parameters
    ----------
    engine : livemappr.audio.engine.Engine
    tempo : TempoClock, optional
    clock : FrameClock
        The engine frame now.
    margin_frames : float
        How far ahead of now an action may land (the steady trigger latency).
    quantize : {"bar", "beat", "off"}
    source : {"mic", "engine"}
        What a recording takes unless the action names it.
    bars : int, optional
        Close the first loop by itself after this many bars (tempo running).
    """

    def __init__(self, engine, tempo, clock, *, margin_frames=None, quantize="bar", source="mic", bars=None):
        self.engine = engine
        self.tempo = tempo
        self.clock = clock
        self.margin = clock.blocksize * 2 if margin_frames is None else float(margin_frames)
        self.quantize = quantize if quantize in QUANTIZE else QUANTIZE[whole("loop quantize", quantize, 0, 2)]
        if source not in LOOP_SOURCES:
            raise ValueError(f"loop source must be one of {', '.join(LOOP_SOURCES)}, got {source!r}")
        self.source = source
        self.bars = None if bars is None else whole("loop bars", bars, 1, 256)
        self.tracks = engine.config.loop_tracks
        self._first = None  # (start frame, track) of the open first loop
        self._overdub = [False] * self.tracks

    def frame(self, at=None):
        """The frame an action pressed now applies at."""
        if at is not None:
            return whole("at", at, 0)
        earliest = self.clock.now() + self.margin
        if self.tempo is not None and self.tempo.running and self.quantize != "off":
            beats = self.tempo.beats_per_bar if self.quantize == "bar" else 1
            return self.tempo.next_frame(earliest, beats)
        return int(round(earliest))

    def _track(self, track):
        return whole("loop track", track, 0, self.tracks - 1)

    def _empty(self):
        return self.engine.loops()["length"] == 0 and self._first is None

    # -- actions ------------------------------------------------------------------------
    def record(self, track, on=True, source=None, at=None):
        """Start recording ``track`` (on) or close the open first loop (off). Returns the frame."""
        track = self._track(track)
        source = source or self.source
        if source not in LOOP_SOURCES:
            raise ValueError(f"loop source must be one of {', '.join(LOOP_SOURCES)}, got {source!r}")
        if not on:
            return self.stop_record(at)
        frame = self.frame(at)
        first = self._empty()
        self.engine.loop(track, "record", source=source, at=frame)
        if first:
            self._first = (frame, track)
            if self.bars and self.tempo is not None and self.tempo.running:
                # close it by itself, exactly that many bars later
                self.stop_record(at=self.tempo.frame_at(self.tempo.beat_at(frame)
                                                        + self.bars * self.tempo.beats_per_bar))
        return frame

    def stop_record(self, at=None):
        """Close the first loop (sets every track's length). Returns the frame or None."""
        if self._first is None:
            return None
        start, track = self._first
        frame = self.frame(at)
        if frame <= start:
            frame = start + 1
        self.engine.loop(track, "stop_record", at=frame)
        self._first = None
        if self.tempo is not None and self.tempo.running and self.quantize == "bar":
            bars = round((self.tempo.beat_at(frame) - self.tempo.beat_at(start)) / self.tempo.beats_per_bar)
            if bars >= 1:
                self.tempo.lock_to_loop(start, frame - start, bars)
        return frame

    def overdub(self, track, on=True, feedback=1.0, source=None, at=None):
        track = self._track(track)
        feedback = number("loop feedback", feedback, 0.0, 1.0)
        frame = self.frame(at)
        if on:
            self.engine.loop(track, "overdub", source=source or self.source, value=feedback, at=frame)
        else:
            self.engine.loop(track, "overdub_off", at=frame)
        self._overdub[track] = bool(on)
        return frame

    def play(self, track, on=True, at=None):
        return self._simple(track, "play" if on else "mute", at)

    def mute(self, track, on=True, at=None):
        return self._simple(track, "mute" if on else "play", at)

    def undo(self, track, at=None):
        return self._simple(track, "undo", at)

    def clear(self, track, at=None):
        track = self._track(track)
        if self._first is not None and self._first[1] == track:
            self._first = None
        self._overdub[track] = False
        return self._simple(track, "clear", at)

    def gain(self, track, gain):
        track = self._track(track)
        self.engine.loop(track, "gain", value=number("loop gain", gain, 0.0, 2.0))

    def _simple(self, track, action, at):
        track = self._track(track)
        frame = self.frame(at)
        self.engine.loop(track, action, at=frame)
        return frame

    def pedal(self, track, at=None):
        """One footswitch: record, close (play), overdub, play, overdub ... Returns the action taken."""
        track = self._track(track)
        if self._first is not None:
            self.stop_record(at)
            return "stop_record"
        state = self.engine.loops()["tracks"][track]["state"]
        if state == "empty":
            self.record(track, True, at=at)
            return "record"
        self.overdub(track, not self._overdub[track], at=at)
        return "overdub" if self._overdub[track] else "overdub_off"

    # -- reading ------------------------------------------------------------------------
    def position(self, now=None):
        """Loop phase 0..1 (None while there is no loop yet)."""
        d = self.engine.loops()
        length, origin = d["length"], d["origin"]
        if length <= 0:
            return None
        now = self.clock.now() if now is None else now
        return ((now - origin) % length) / length

    def states(self):
        """Each track's state as a word: empty, recording, playing, overdubbing, muted."""
        out = []
        for t, d in enumerate(self.engine.loops()["tracks"]):
            if d["state"] == "playing" and d["muted"]:
                out.append("muted")
            elif d["state"] == "playing" and (self._overdub[t] or d["writing"]):
                out.append("overdubbing")
            else:
                out.append(d["state"])
        return out

    def export(self, directory):
        """Write every track with a loop to ``directory/loop_<track>.wav`` (float32). Returns the paths."""
        import soundfile

        directory = pathlib.Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        paths = []
        for t in range(self.tracks):
            audio = self.engine.loop_audio(t)
            if audio.size:
                path = directory / f"loop_{t}.wav"
                soundfile.write(str(path), np.asarray(audio, np.float32), self.engine.config.samplerate,
                                subtype="FLOAT")
                paths.append(path)
        return paths
