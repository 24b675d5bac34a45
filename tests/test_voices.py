"""Voice behaviour through the same callback the live stream runs."""

import numpy as np
import pytest

from livemappr.audio.config import EngineConfig
from livemappr.audio.engine import Engine
from livemappr.audio.offline import render


def engine(**kw):
    kw.setdefault("fade_ms", 1.0)  # 48 frames at 48 kHz
    kw.setdefault("bank_seconds", 1.0)
    return Engine(EngineConfig(ring_seconds=1, bank_slots=64, **kw))


def noise(n, seed=0, level=0.3):
    return (np.random.default_rng(seed).standard_normal(n) * level).astype(np.float32)


def test_voice_starts_at_its_frame_and_copies_the_sound_exactly():
    e = engine()
    slot = e.bank.add(noise(2000))
    s = e.bank.samples(slot)  # the sound as the bank holds it (16 bits; see test_bank)
    out = render(e, 4000, blocksize=100, commands=[e.play_command(slot, at=1234, gain=0.5)])
    assert not out[:1234].any()
    body = 2000 - 48  # the last fade_frames fade to zero
    np.testing.assert_array_equal(out[1234:1234 + body, 0], s[:body] * np.float32(0.5))
    np.testing.assert_array_equal(out[:, 0], out[:, 1])
    assert not out[1234 + 2000:].any()


def test_sound_end_fades_to_zero():
    e = engine()
    slot = e.bank.add(np.ones(1000, np.float32))
    out = render(e, 1200, commands=[e.play_command(slot, at=0)])[:, 0]
    tail = out[1000 - 48:1000]
    assert np.all(np.diff(tail) < 0) and tail[-1] == 0.0
    assert abs(tail[0] - 1.0) < 0.03


def test_stop_fades_out_to_exactly_zero_within_the_fade():
    e = engine()
    slot = e.bank.add(np.ones(10000, np.float32))
    out = render(e, 3000, commands=[e.play_command(slot, at=0, tag=9), e.stop_command(9, at=1000)])[:, 0]
    assert np.all(out[:1000] == 1.0)
    fade = out[1000:1048]
    assert np.all(np.diff(fade) < 0)
    assert fade[-1] == 0.0 and not out[1048:].any()
    assert [ev.kind for ev in e.events()] == ["voice_done"]


def test_start_offset_fades_in_instead_of_clicking():
    e = engine()
    slot = e.bank.add(np.ones(5000, np.float32))
    out = render(e, 200, commands=[e.play_command(slot, at=0, offset=2000)])[:, 0]
    assert 0 < out[0] <= 1 / 48 + 1e-6
    assert np.all(np.diff(out[:48]) > 0) and np.all(out[48:200] == 1.0)


def test_reverse_plays_the_sound_backwards():
    e = engine()
    slot = e.bank.add(noise(3000, seed=3))
    s = e.bank.samples(slot)
    out = render(e, 3100, commands=[e.play_command(slot, at=0, reverse=True)])[:, 0]
    # After the fade-in, the output is the sound read from its end.
    np.testing.assert_array_equal(out[48:2900], s[::-1][48:2900])


def test_rate_two_plays_every_other_sample_in_half_the_time():
    e = engine()
    slot = e.bank.add(noise(4000, seed=4))
    s = e.bank.samples(slot)
    out = render(e, 2100, commands=[e.play_command(slot, at=0, rate=2.0)])[:, 0]
    np.testing.assert_array_equal(out[:1900], s[0:3800:2])
    assert not out[2000:].any()


def test_half_rate_interpolates_a_ramp_exactly():
    e = engine()
    # A ramp in whole steps of the bank's 16 bits (its peak is 32767 steps), so
    # the bank holds a straight line.
    ramp = ((np.arange(1000) - 999) * 32 + 32767).astype(np.float32) / np.float32(32767)
    slot = e.bank.add(ramp)
    np.testing.assert_array_equal(e.bank.samples(slot), ramp)
    out = render(e, 1800, commands=[e.play_command(slot, at=0, rate=0.5)])[:, 0]
    # Catmull-Rom reproduces a straight line: the half-way samples are means
    # (away from the first sample, where the point before it reads as 0).
    np.testing.assert_array_equal(out[0:1800:2][:900], ramp[:900])
    mid = (ramp[2:900].astype(np.float64) + ramp[1:899]) / 2
    np.testing.assert_allclose(out[3:1798:2], mid, atol=2e-7)


def test_choke_group_fades_out_the_previous_voice():
    e = engine()
    open_hat = e.bank.add(np.ones(20000, np.float32))
    closed_hat = e.bank.add(np.full(20000, 0.5, np.float32))
    out = render(e, 3000, commands=[e.play_command(open_hat, at=0, choke=1),
                                    e.play_command(closed_hat, at=1000, choke=1)])[:, 0]
    assert np.all(out[:1000] == 1.0)
    np.testing.assert_allclose(out[1048:3000], 0.5)  # the open hat is gone after the fade


@pytest.mark.parametrize("mode, survivor", [("oldest", "quiet"), ("quietest", "old")])
def test_full_pool_steals_the_oldest_or_quietest_voice(mode, survivor):
    e = engine(max_voices=2, steal=mode)
    old = e.bank.add(np.full(10000, 0.25, np.float32))
    quiet = e.bank.add(np.full(10000, 0.125, np.float32))
    new = e.bank.add(np.full(10000, 0.5, np.float32))
    out = render(e, 2000, commands=[e.play_command(old, at=0), e.play_command(quiet, at=10),
                                    e.play_command(new, at=1000)])[:, 0]
    expected = 0.5 + (0.125 if survivor == "quiet" else 0.25)
    np.testing.assert_allclose(out[1100:2000], expected)
    assert e.meters()["steals"] == 1 and e.meters()["voices"] == 2


def test_nan_and_inf_in_a_sound_are_replaced_on_add_and_never_reach_the_output():
    e = engine()
    s = noise(1000)
    s[100] = np.nan
    s[200] = np.inf
    s[300] = -np.inf
    slot = e.bank.add(s)
    assert e.bank.nonfinite_replaced == 3
    held = e.bank.samples(slot)
    assert held[100] == 0.0 and held[200] == 0.0 and held[300] == 0.0
    # The rest is scaled to the finite peak, not to inf (which would make it all 0).
    finite = np.isfinite(s)
    half_step = np.abs(s[finite]).max() / 32767 / 2
    assert np.abs(held[finite] - s[finite]).max() <= half_step * 1.01
    out = render(e, 1200, commands=[e.play_command(slot, at=0, rate=0.7)])
    assert np.isfinite(out).all() and np.abs(out).max() > 0.1
    assert e.meters()["nonfinite"] == 0


def test_output_guard_holds_if_a_scale_is_corrupted_behind_the_banks_back():
    e = engine()
    slot = e.bank.add(noise(1000))
    e.state.slot_scale[slot] = np.nan  # int16 samples cannot be NaN; a scale can
    out = render(e, 1200, commands=[e.play_command(slot, at=0, rate=0.7)])
    assert np.isfinite(out).all()
    assert e.meters()["nonfinite"] > 0


def test_released_slot_is_reused_only_after_its_voices_ended():
    e = engine(bank_seconds=0.05)  # 2400 frames of pool
    a = e.bank.add(np.ones(2000, np.float32))
    render(e, 100, commands=[e.play_command(a, at=e.frame)])
    e.release_slot(a)
    from livemappr.realtime.bank import BankFull
    with pytest.raises(BankFull, match="no free region"):
        e.bank.add(np.ones(2000, np.float32))  # the audio thread has not let go yet
    out = render(e, 200)[:, 0]
    assert out[0] > 0 and out[47] == 0.0  # faded out, not cut
    assert any(ev.kind == "slot_released" and ev.a == a for ev in e.events())
    assert e.bank.add(np.ones(2000, np.float32)) >= 0


@pytest.mark.parametrize("blocksize", [1, 64, 65, 128, 8193])
def test_output_does_not_depend_on_block_size(blocksize):
    def run(bs):
        e = engine(max_voices=4, steal="quietest")
        slots = [e.bank.add(noise(3000 + 500 * i, seed=i)) for i in range(5)]
        cmds = []
        rng = np.random.default_rng(7)
        for k in range(40):
            cmds.append(e.play_command(slots[k % 5], at=int(rng.integers(0, 20000)), tag=k % 3,
                                       gain=float(rng.uniform(0.1, 1)), rate=float(rng.uniform(0.5, 2)),
                                       reverse=bool(k % 4 == 0), choke=k % 2, offset=float(k)))
        cmds += [e.stop_command(1, at=9000), e.set_param_command("master_gain", 0.5, at=15000)]
        return render(e, 24000, blocksize=bs, commands=cmds, input=noise(24000, seed=9)[:, None])

    np.testing.assert_array_equal(run(blocksize), run(256))
