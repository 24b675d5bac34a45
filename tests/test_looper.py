"""The audio looper, through the same callback the live stream runs."""

import numpy as np
import pytest

from livemappr.audio.config import EngineConfig
from livemappr.audio.engine import Engine
from livemappr.audio.offline import render

L = 9600  # one loop: 0.2 s at 48 kHz


def engine(**kw):
    kw.setdefault("loop_seconds", 1.0)
    return Engine(EngineConfig(ring_seconds=1, bank_seconds=1, bank_slots=8, **kw))


def noise(n, seed):
    return (np.random.default_rng(seed).standard_normal(n) * 0.1).astype(np.float32)


def record_first_loop(e, mic, start=1000, blocksize=128, track=0):
    """Record mic[start:start+L] as the first loop; render until the loop's end."""
    cmds = [e.loop_command(track, "record", at=start), e.loop_command(track, "stop_record", at=start + L)]
    return render(e, start + L, input=mic[:start + L], blocksize=blocksize, commands=cmds)


def test_a_recorded_loop_repeats_its_input_sample_for_sample():
    e = engine()
    mic = noise(1000 + 5 * L, 1)
    out = record_first_loop(e, mic)
    assert not out.any()  # recording does not echo the input
    assert e.loops()["tracks"][0]["state"] == "recording"  # stop_record is due at the next frame
    later = render(e, 4 * L, input=mic[1000 + L:])[:, 0]  # the mic goes on; the loop ignores it
    assert e.loops()["length"] == L and e.loops()["tracks"][0]["state"] == "playing"
    np.testing.assert_array_equal(later, np.tile(mic[1000:1000 + L], 4))
    np.testing.assert_array_equal(e.loop_audio(0), mic[1000:1000 + L])


def test_overdub_sums_and_undo_restores_the_previous_layer_and_redo_returns():
    e = engine()
    a = noise(1000 + L, 2)
    record_first_loop(e, a)
    b = noise(L, 3)
    # Overdub one whole pass, from the loop's start.
    start = e.frame
    out = render(e, L, input=b, commands=[e.loop_command(0, "overdub", at=start),
                                          e.loop_command(0, "overdub_off", at=start + L)])[:, 0]
    np.testing.assert_array_equal(out, a[1000:])  # the pass plays the loop as it was
    summed = (a[1000:].astype(np.float64) + b).astype(np.float32)
    np.testing.assert_array_equal(render(e, L)[:, 0], summed)
    e.loop(0, "undo", at=e.frame)
    np.testing.assert_array_equal(render(e, L)[:, 0], a[1000:])
    e.loop(0, "undo", at=e.frame)  # undo again: redo
    np.testing.assert_array_equal(render(e, L)[:, 0], summed)


def test_overdub_with_feedback_fades_what_was_there():
    e = engine()
    a = noise(1000 + L, 4)
    record_first_loop(e, a)
    start = e.frame
    render(e, L, commands=[e.loop_command(0, "overdub", value=0.5, at=start),
                           e.loop_command(0, "overdub_off", at=start + L)])
    np.testing.assert_array_equal(render(e, L)[:, 0], (a[1000:].astype(np.float64) * 0.5).astype(np.float32))


def test_loop_boundaries_stay_exact_after_ten_minutes():
    e = engine()
    mic = np.zeros(1000 + L, np.float32)
    mic[1000] = 0.5  # a click at the loop's first frame
    record_first_loop(e, mic)
    ten_minutes = 10 * 60 * 48000
    out = render(e, ten_minutes, blocksize=4096)[:, 0]
    clicks = np.flatnonzero(out) + e.frame - ten_minutes  # absolute frames
    expected = np.arange(1000 + L, 1000 + L + ten_minutes, L)
    expected = expected[expected < e.frame]
    np.testing.assert_array_equal(clicks, expected)
    assert np.all(out[clicks - (e.frame - ten_minutes)] == 0.5)


def test_second_track_records_one_loop_in_phase_from_the_engines_own_output():
    e = engine()
    record_first_loop(e, noise(1000 + L, 5))
    slot = e.bank.add(np.full(3000, 0.25, np.float32))
    # Record track 1 from the voices, starting mid-loop: it covers exactly one loop.
    start = e.frame + L // 2
    render(e, L + L // 2, commands=[e.loop_command(1, "record", source="engine", at=start),
                                    e.play_command(slot, at=start + 100)])
    t1 = e.loop_audio(1)
    assert t1.shape == (L,)
    pos = (start + 100 - 1000) % L  # loop position where the voice started
    assert np.all(t1[pos:pos + 2000] == 0.25) and t1[pos - 1] == 0.0
    assert e.loops()["tracks"][1]["state"] == "playing"


def test_mute_fades_and_play_brings_it_back_and_clear_empties():
    e = engine(fade_ms=1.0)
    record_first_loop(e, np.full(1000 + L, 0.5, np.float32))
    start = e.frame
    out = render(e, 2000, commands=[e.loop_command(0, "mute", at=start + 500),
                                    e.loop_command(0, "play", at=start + 1500)])[:, 0]
    assert np.all(out[:500] == 0.5)
    assert 0 < out[500] < 0.5 and abs(out[1499]) < 1e-3  # faded, not cut
    assert out[1999] > 0.49
    e.loop(0, "clear", at=e.frame)
    assert not render(e, L)[:, 0].any()
    assert e.loops()["length"] == 0  # the next recording sets a new length


@pytest.mark.parametrize("blocksize", [1, 65, 8193])
def test_looper_output_does_not_depend_on_block_size(blocksize):
    def run(bs):
        e = engine()
        mic = noise(6 * L, 6)
        slot = e.bank.add(noise(4000, 7))
        cmds = [e.loop_command(0, "record", at=500), e.loop_command(0, "stop_record", at=500 + L),
                e.play_command(slot, at=700), e.loop_command(1, "record", source="engine", at=2 * L + 33),
                e.loop_command(0, "overdub", value=0.7, at=3 * L), e.loop_command(0, "overdub_off", at=3 * L + 4000),
                e.loop_command(1, "mute", at=4 * L), e.loop_command(0, "undo", at=5 * L + 17)]
        return render(e, 6 * L, input=mic, blocksize=bs, commands=cmds)

    np.testing.assert_array_equal(run(blocksize), run(256))


def test_actions_that_do_not_apply_are_ignored_and_counted():
    e = engine()
    render(e, 100, commands=[e.loop_command(0, "overdub", at=10),  # nothing to overdub
                             e.loop_command(2, "undo", at=20)])    # nothing to undo
    assert e.meters()["ignored_commands"] == 2


def test_bad_loop_arguments_are_refused():
    e = engine()
    with pytest.raises(ValueError, match="track must be in 0..3"):
        e.loop(4, "record")
    with pytest.raises(ValueError, match="loop action must be one of"):
        e.loop(0, "explode")
    with pytest.raises(ValueError, match="loop source must be one of mic, engine"):
        e.loop(0, "record", source="radio")
