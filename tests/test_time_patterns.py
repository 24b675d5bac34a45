"""The pattern looper: record bars of triggers, loop them sample-exactly, overdub,
undo, clear, switch at the bar line, clusters or snippets, MIDI file export
(read back with mido, an independent reader: a test-only dependency)."""

from fractions import Fraction

import mido
import numpy as np
import pytest

from livemappr.control.midifile import encode
from livemappr.control.playable import SnapshotRef
from livemappr.audio.offline import render
from tests.control_helpers import engine_with_snippets, grid_snapshot, onsets, which_snippet
from tests.transport_rig import TransportRig

BAR = 96000  # 120 BPM at 48 kHz


class PatternRig(TransportRig):
    def __init__(self, tmp_path, store="cluster"):
        e, slots = engine_with_snippets(8, frames=300, blocksize=128)
        super().__init__(e, SnapshotRef(grid_snapshot(slots, 4)), tmp_path,
                         bpm=120, quantize=16, pattern_bars=1, store=store)
        self.out = [render(self.e, 1000)[:, 0]]

    def run_to(self, frame, chunk=1000):
        """Render in chunks, letting the pattern thread's step run between them as it would."""
        while self.e.frame < frame:
            self.tr.patterns.step()
            self.out.append(render(self.e, min(chunk, frame - self.e.frame))[:, 0])

    def output(self):
        return np.concatenate(self.out)


@pytest.fixture
def rig(tmp_path):
    r = PatternRig(tmp_path)
    yield r
    r.close()


def test_record_one_bar_then_it_loops_sample_exact_overdub_undo_and_export(rig, tmp_path):
    rig.send("/livemappr/clock/run", 1)
    origin = rig.tr.tempo.frame_at(0)
    rig.send("/livemappr/pattern/record", 1)
    hits = [(origin + 100, 0, 1.0), (origin + 20000, 1, 0.5), (origin + 50000, 2, 0.75), (origin + 71000, 3, 1.0)]
    for f, c, v in hits:
        rig.run_to(f)
        rig.t.play_cluster(c, v)
    rig.run_to(origin + 4 * BAR)
    out = rig.output()
    starts = onsets(out)
    first = [s for s in starts if s < origin + BAR]
    assert all(rig.tr.quantizer.snap(s) == s for s in first) and len(first) == 4
    for k in (1, 2, 3):
        np.testing.assert_array_equal([s for s in starts if origin + k * BAR <= s < origin + (k + 1) * BAR],
                                      np.array(first) + k * BAR)
    assert not rig.tr.patterns.recording and rig.tr.patterns.playing

    # overdub a layer in bar 4, heard from bar 5; undo drops it from bar 7 on
    rig.send("/livemappr/pattern/overdub", 1)
    rig.run_to(origin + 4 * BAR + 30000)
    rig.t.play_cluster(1, 1.0)
    rig.send("/livemappr/pattern/overdub", 0)
    rig.run_to(origin + 6 * BAR)
    assert len(rig.tr.patterns.pattern.layers) == 2
    midi_path = tmp_path / "pattern_0.mid"
    rig.send("/livemappr/export")
    rig.send("/livemappr/pattern/undo")
    rig.run_to(origin + 8 * BAR)
    starts = onsets(rig.output())
    in_bar = lambda k: [s - k * BAR for s in starts if origin + k * BAR <= s < origin + (k + 1) * BAR]  # noqa: E731
    extra = rig.tr.quantizer.snap(origin + 4 * BAR + 30000 + rig.t.steady_frames) - 4 * BAR
    assert in_bar(5) == sorted(first + [extra])
    assert in_bar(7) == first
    assert rig.osc.errors.counts() == {}

    # the file reads back with the same events (two layers, at 480 ticks a beat)
    f = mido.MidiFile(str(midi_path))
    assert f.type == 0 and f.ticks_per_beat == 480
    t, notes = 0, []
    for msg in f.tracks[0]:
        t += msg.time
        if msg.type == "note_on":
            notes.append((t, msg.note, msg.velocity, msg.channel))
        if msg.type == "set_tempo":
            assert mido.tempo2bpm(msg.tempo) == pytest.approx(120.0)
    want = [(round((s - origin) / 24000 * 480), 36 + c, round(v * 127), 9)
            for s, (_, c, v) in zip(first, hits)]
    want.append((round((extra - origin) / 24000 * 480), 37, 127, 9))
    assert notes == sorted(want)
    assert t == 4 * 480  # the track ends with the pattern: one bar


def test_clusters_follow_the_map_snippets_stay_and_switch_at_the_bar_line(tmp_path):
    for store in ("cluster", "snippet"):
        rig = PatternRig(tmp_path, store)
        try:
            rig.send("/livemappr/clock/run", 1)
            origin = rig.tr.tempo.frame_at(0)
            rig.send("/livemappr/pattern/record", 1)
            rig.run_to(origin + 1000)
            rig.t.play_cluster(2, 1.0)  # round robin: snippet 2 now, snippet 6 next time
            rig.run_to(origin + 3 * BAR)
            out = rig.output()[:, None]
            heard = [which_snippet(out, s + 5) for s in onsets(out[:, 0])]
            assert heard == ([2, 6, 2] if store == "cluster" else [2, 2, 2])
            # select the empty pattern 1 mid-bar: bar 3 still plays pattern 0, bar 4 is silent
            rig.run_to(origin + 3 * BAR + 40000)
            rig.send("/livemappr/pattern/select", 1)
            rig.run_to(origin + 5 * BAR)
            starts = onsets(rig.output())
            assert [s for s in starts if s >= origin + 3 * BAR][:1] == [starts[0] + 3 * BAR]
            assert not [s for s in starts if s >= origin + 4 * BAR]
            assert rig.tr.patterns.current == 1
            rig.send("/livemappr/pattern/play", 0)
            rig.send("/livemappr/pattern/select", 0)  # stopped: at once
            rig.send("/livemappr/pattern/clear")
            assert rig.tr.patterns.patterns[0].layers == []
        finally:
            rig.close()


def test_midi_file_writer_round_trips_through_mido(tmp_path):
    notes = [(Fraction(0), 36, 127, Fraction(1, 4)), (Fraction(1, 3), 40, 64, Fraction(1, 4)),
             (Fraction(5, 2), 51, 1, Fraction(1, 8)), (Fraction(5, 2), 36, 100, Fraction(1, 4))]
    path = tmp_path / "p.mid"
    path.write_bytes(encode(notes, 97.5, length_beats=8))
    f = mido.MidiFile(str(path))
    t, got, offs = 0, [], []
    for msg in f.tracks[0]:
        t += msg.time
        if msg.type == "note_on":
            got.append((t, msg.note, msg.velocity))
        elif msg.type == "note_off":
            offs.append((t, msg.note))
    assert sorted(got) == sorted((round(b * 480), n, v) for b, n, v, _ in notes)
    assert sorted(offs) == sorted((round((b + d) * 480), n) for b, n, _, d in notes)
    assert t == 8 * 480
    with pytest.raises(ValueError, match="note must be in 0..127, got 128"):
        encode([(0, 128, 1, 1)], 120)
