"""The sample bank stores 16 bits per sample, scaled to each sound's peak."""

import numpy as np
import pytest

from livemappr.audio.config import EngineConfig
from livemappr.audio.engine import Engine
from livemappr.audio.offline import render
from livemappr.realtime.bank import allocate_bank


def engine(**kw):
    kw.setdefault("fade_ms", 1.0)  # 48 frames at 48 kHz
    return Engine(EngineConfig(ring_seconds=1, bank_seconds=1, bank_slots=16, **kw))


def half_step(x):
    """Half a 16-bit step of a sound scaled to its own peak."""
    return np.abs(x).max() / 32767 / 2


@pytest.mark.parametrize("level", [1.0, 0.3, 4.0])
def test_a_snippet_round_trips_within_half_a_step(level):
    e = engine()
    x = (np.random.default_rng(1).uniform(-1, 1, 5000) * level).astype(np.float32)
    slot = e.bank.add(x)
    held = e.bank.samples(slot)
    assert held.dtype == np.float32 and held.shape == x.shape and not held.flags.writeable
    err = np.abs(held.astype(np.float64) - x)
    assert err.max() <= half_step(x) * 1.01
    assert err.max() > half_step(x) * 0.5  # it is rounded to 16 bits, not kept as float
    peak = np.argmax(np.abs(x))
    assert held[peak] == x[peak]  # the peak is full scale: stored exactly


def test_a_quiet_snippet_keeps_16_bits_relative_to_its_peak():
    e = engine()
    x = np.random.default_rng(2).uniform(-1, 1, 5000)
    x = (x / np.abs(x).max() * 1e-3).astype(np.float32)
    slot = e.bank.add(x)
    held = e.bank.samples(slot)
    # A bank scaled to full scale (1.0) would be off by up to 1.5e-5 here.
    assert np.abs(held.astype(np.float64) - x).max() <= 1e-3 / 65534 * 1.01
    # 5000 samples over 65535 levels: nearly all distinct (at full scale, ~66 levels).
    assert np.unique(held).size > 4500


def test_a_silent_snippet_plays_silence():
    e = engine()
    with np.errstate(all="raise"):  # no division by a zero peak
        slot = e.bank.add(np.zeros(2000, np.float32))
        nan_only = e.bank.add(np.full(500, np.nan, np.float32))
    assert e.bank.nonfinite_replaced == 500
    for s in (slot, nan_only):
        held = e.bank.samples(s)
        assert np.isfinite(held).all() and not held.any()
    loud = e.bank.add(np.full(2000, 0.5, np.float32))
    out = render(e, 3000, commands=[e.play_command(slot, at=0, gain=16.0), e.play_command(nan_only, at=0),
                                    e.play_command(loud, at=2500)])[:, 0]
    assert not out[:2500].any()
    assert out[2500] == 0.5  # the next snippet plays at its level: nothing left from the silent ones
    assert e.meters()["nonfinite"] == 0 and e.meters()["ignored_commands"] == 0


def catmull_rom(x, rate, n, gain, fade):
    """What a forward voice plays from float audio ``x`` (voices.py's reading, in numpy)."""
    last = x.shape[0] - 1
    pos = np.arange(n) * rate
    pos = pos[pos <= last]
    padded = np.concatenate([[0.0], x.astype(np.float64), [0.0, 0.0]])
    i = np.floor(pos).astype(np.int64)
    t = pos - i
    x0, x1, x2, x3 = padded[i], padded[i + 1], padded[i + 2], padded[i + 3]
    y = x1 + 0.5 * t * (x2 - x0 + t * (2.0 * x0 - 5.0 * x1 + 4.0 * x2 - x3 + t * (3.0 * (x1 - x2) + x3 - x0)))
    tail = np.minimum((last - pos) / rate / fade, 1.0)
    out = np.zeros(n)
    out[:pos.shape[0]] = y * gain * tail
    return out


@pytest.mark.parametrize("rate", [1.0, 0.73, 1.61])
def test_a_voice_plays_the_float_sound_to_within_the_quantisation_error(rate):
    e = engine()
    rng = np.random.default_rng(3)
    x = (rng.standard_normal(6000) * np.exp(-np.arange(6000) / 1500) * 0.4).astype(np.float32)
    slot = e.bank.add(x)
    gain = 0.8
    out = render(e, 8000, blocksize=128, commands=[e.play_command(slot, at=0, rate=rate, gain=gain)])[:, 0]
    want = catmull_rom(x, rate, 8000, gain, fade=48.0)
    # Catmull-Rom's weights add up to at most 1.25 in absolute value.
    bound = gain * 1.25 * half_step(x) + np.abs(want).max() * 2.0 ** -23
    err = np.abs(out - want)
    assert err.max() <= bound
    assert np.sqrt(np.mean(err ** 2)) < gain * half_step(x)  # and mostly well inside it


def test_the_default_bank_holds_30_minutes_in_at_most_170_mib():
    cfg = EngineConfig()
    assert cfg.bank_seconds == 1800.0 and cfg.samplerate == 48000
    assert cfg.bank_slots >= 30 * 60 * 4  # a 30-minute set at 4 hits a second
    arrays = allocate_bank(cfg.bank_frames, cfg.bank_slots)  # pages are not touched: no real memory
    assert arrays[0].shape == (1800 * 48000,)
    assert sum(a.nbytes for a in arrays) <= 170 * 2 ** 20
