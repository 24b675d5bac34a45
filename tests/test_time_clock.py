"""The tempo clock, tap tempo and the quantise grid: exact frames, no drift, bad values named."""

from fractions import Fraction

import pytest

from livemappr.control.quantize import Quantizer, parse_division
from livemappr.control.tempo import TapTempo, TempoClock

SR = 48000


def test_grid_frames_at_120_bpm_are_whole_beats_and_bars():
    t = TempoClock(SR, 120)
    t.start(1000)
    assert t.frame_at(0) == 1000 and t.frame_at(1) == 25000 and t.frame_at(4) == 97000
    assert t.next_bar(1001) == 97000 and t.next_bar(97000) == 97000
    assert t.position(97000 + 12000) == (1, 0, pytest.approx(12000 / 96000))
    assert t.bpm == 120.0


def test_an_awkward_tempo_does_not_drift_over_ten_minutes():
    t = TempoClock(SR, 123.4)
    t.start(0)
    fpb = Fraction(60 * SR) / Fraction(123.4).limit_denominator(10000)
    # Bar k computed from the origin, never by adding rounded bars: the error stays under half a frame.
    last = t.beat_at(10 * 60 * SR) // 4
    for k in (1, 17, 1000, int(last)):
        assert abs(t.frame_at(4 * k) - 4 * k * fpb) <= Fraction(1, 2)
    assert abs(t.bpm - 123.4) < 1e-9


def test_tempo_change_keeps_the_beat_where_it_is():
    t = TempoClock(SR, 120)
    t.start(0)
    beat = t.beat_at(30000)
    t.set_tempo(90, 30000)
    assert t.beat_at(30000) == beat and t.frame_at(beat + 1) == 30000 + 32000


def test_lock_to_loop_makes_bar_lines_the_loop_boundaries():
    t = TempoClock(SR, 123.4)
    t.start(500)
    start = t.next_bar(10)
    end = t.frame_at(t.beat_at(start) + 8)  # two bars, rounded to a whole frame
    t.lock_to_loop(start, end - start, 2)
    length = end - start
    for k in range(0, 10 * 60 * SR // length + 2, 97):
        assert t.frame_at(t.beat_at(start) + 8 * k) == start + k * length
    assert t.source == "loop" and abs(t.bpm - 123.4) < 0.01


def test_bad_tempi_name_the_field_and_range():
    t = TempoClock(SR, 120)
    with pytest.raises(ValueError, match=r"bpm must be in \[20.0, 400.0\], got 1000"):
        t.set_tempo(1000, 0)
    with pytest.raises(ValueError, match=r"bpm must be in \[20.0, 400.0\], got 0"):
        t.set_tempo(0, 0)
    with pytest.raises(ValueError, match="followed tempo must be in 20..400 BPM"):
        t.follow(0, 0, 2880)  # 1000 BPM
    assert t.bpm == 120.0


def test_tap_tempo_averages_taps_and_puts_a_beat_on_the_last_one():
    frame = [0.0]
    t = TempoClock(SR, 120)
    tap = TapTempo(t, lambda: frame[0])
    for i in range(5):
        frame[0] = 10000 + i * 0.6 * SR
        bpm = tap.tap(100.0 + i * 0.6)
    assert bpm == pytest.approx(100.0)
    assert t.running and t.beat_at(frame[0]) == round(t.beat_at(frame[0]))
    tap.tap(130.0)  # a long pause starts a new count
    assert tap.tap(130.5) == pytest.approx(120.0)


def test_quantize_grid_straight_triplet_and_swing():
    t = TempoClock(SR, 120)
    t.start(0)
    q = Quantizer(t, "1/16")
    assert q.grid_frames(0, 48000) == [0, 6000, 12000, 18000, 24000, 30000, 36000, 42000]
    assert q.snap(6001) == 12000 and q.snap(6000) == 6000
    q.set_division("1/8t")
    assert q.grid_frames(0, 24000) == [0, 8000, 16000]
    q.set_division(16)
    q.set_swing(66)
    # every second sixteenth moves from 6000 to 66 % of the pair of 12000 frames
    assert q.grid_frames(0, 24000) == [0, 7920, 12000, 19920]
    q.set_division(0)
    assert q.snap(12345) == 12345 and not q.active


def test_quantize_bad_values():
    assert parse_division("1/16t") == 24
    with pytest.raises(ValueError, match="quantize must be one of off, 1/4"):
        parse_division("1/7")
    with pytest.raises(ValueError, match="quantize division must be in 0..64, got 65"):
        parse_division(65)
    q = Quantizer(TempoClock(SR))
    with pytest.raises(ValueError, match=r"swing must be in \[50.0, 75.0\], got 90"):
        q.set_swing(90)
    assert not q.active  # the clock is not running: nothing to snap to
