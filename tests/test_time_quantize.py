"""Quantised triggers through the one trigger path land on grid frames, at any block size."""

import numpy as np
import pytest

from livemappr.control.playable import SnapshotRef
from livemappr.control.transport import Transport
from livemappr.control.trigger import Trigger
from livemappr.audio.offline import render
from tests.control_helpers import engine_with_snippets, grid_snapshot, onsets, which_snippet

def offline_clock(trigger):
    """Offline there is no wall clock: "now" is the frame the render stopped at."""
    e = trigger.engine
    trigger.clock.now = lambda now_ns=None: float(e.frame)
    trigger.clock.running = lambda: True


HITS = [3000, 9100, 21000, 33333, 47000, 61111, 80000, 93001]  # frames a player hits


def play_hits(blocksize, division, swing=50.0, bpm=123.0):
    e, slots = engine_with_snippets(4, frames=500, blocksize=128)  # steady latency from this
    t = Trigger(e, SnapshotRef(grid_snapshot(slots, 4)), timing="steady")
    offline_clock(t)
    tr = Transport(t, bpm=bpm, quantize=division, swing=swing)
    out = [render(e, 100, blocksize=blocksize)]
    tr.run(True)
    expected = []
    for i, h in enumerate(HITS):
        out.append(render(e, h - e.frame, blocksize=blocksize))
        t.play_cluster(i % 4, 1.0)
        expected.append(tr.quantizer.snap(h + t.steady_frames))
    out.append(render(e, 100000 - e.frame, blocksize=blocksize))
    return np.concatenate(out)[:, 0], expected, tr


@pytest.mark.parametrize("blocksize", [1, 64, 65, 128, 8193])
def test_quantised_hits_start_exactly_on_sixteenths(blocksize):
    out, expected, tr = play_hits(blocksize, "1/16")
    grid = set(tr.quantizer.grid_frames(0, 100000))
    starts = list(onsets(out))
    assert starts == expected
    assert all(s in grid for s in starts)
    assert all(s >= h for s, h in zip(starts, HITS))  # never in the past
    assert [which_snippet(out[:, None], s + 1) % 4 for s in starts] == [i % 4 for i in range(len(HITS))]


def test_output_is_the_same_at_every_block_size_with_triplets_and_swing():
    ref = None
    for bs in (1, 64, 8193):
        for division, swing in ((12, 50.0), (16, 62.0)):
            out, expected, tr = play_hits(bs, division, swing)
            assert list(onsets(out)) == expected
            if (division, swing) == (16, 62.0):
                if ref is None:
                    ref = out
                np.testing.assert_array_equal(out, ref)


def test_quantize_off_plays_at_the_steady_latency():
    out, expected, tr = play_hits(64, 0)
    assert list(onsets(out)) == [int(round(h + tr.trigger.steady_frames)) for h in HITS]
