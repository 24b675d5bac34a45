"""Callback time as a share of the block budget, 32 voices playing (and with
4 looping tracks, one overdubbing), no device.

Drives the compiled callback body block after block (as the offline renderer
does) and reads the durations the callback itself measures.

    python benchmarks/bench_callback.py [--json] [--seconds 20]
"""

import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _report import Report, parser  # noqa: E402

from livemappr.audio.config import EngineConfig  # noqa: E402
from livemappr.audio.engine import Engine  # noqa: E402
from livemappr.audio.offline import render  # noqa: E402
from livemappr.audio.stream import compile_kernels  # noqa: E402

VOICES = 32
SR = 48000


def measure(blocksize, seconds, loops=0):
    e = Engine(EngineConfig(samplerate=SR, blocksize=blocksize, max_voices=VOICES, ring_seconds=4,
                            bank_seconds=4 * (seconds + 10), bank_slots=8, loop_tracks=max(loops, 1),
                            loop_seconds=8.0))
    rng = np.random.default_rng(0)
    slots = [e.bank.add((rng.standard_normal(int((seconds + 10) * SR)) * 0.05).astype(np.float32))
             for _ in range(4)]
    # Non-integer rates keep every voice on the interpolating path.
    cmds = [e.play_command(slots[v % 4], at=0, rate=0.6 + 0.013 * v, gain=0.1) for v in range(VOICES)]
    if loops:
        # Every track loops 2 s; track 0 overdubs for the whole run (the most work a track does).
        length = 2 * SR
        cmds += [e.loop_command(0, "record", at=0), e.loop_command(0, "stop_record", at=length)]
        cmds += [e.loop_command(t, "record", at=length + 1) for t in range(1, loops)]
        cmds += [e.loop_command(0, "overdub", value=0.9, at=3 * length)]
        render(e, 4 * length, blocksize=blocksize, commands=cmds, input=rng.standard_normal(4 * length) * 0.1)
        assert all(t["state"] == "playing" for t in e.loops()["tracks"]) and e.loops()["tracks"][0]["taking"]
    else:
        render(e, blocksize * 50, blocksize=blocksize, commands=cmds)  # warm up
    assert e.meters()["voices"] == VOICES
    start = e.meters()
    render(e, int(seconds * SR), blocksize=blocksize, input=rng.standard_normal(int(seconds * SR)) * 0.1)
    m = e.meters(since=start)
    assert e.meters()["voices"] == VOICES
    return m


def main():
    p = parser(__doc__)
    p.add_argument("--seconds", type=float, default=20.0, help="audio rendered per block size")
    args = p.parse_args()
    r = Report("callback", args.json)
    compile_kernels()
    r.note(f"{VOICES} voices, {SR} Hz, {args.seconds:g} s of audio per block size")
    for blocksize, loops in ((64, 0), (128, 0), (64, 4), (128, 4)):
        m = measure(blocksize, args.seconds, loops)
        budget_us = blocksize / SR * 1e6
        r.metric("callback_p99_budget_share", round(m["p99_share"], 4), "share", blocksize=blocksize,
                 voices=VOICES, loops=loops, callbacks=m["callbacks"])
        if loops:
            continue
        r.metric("callback_p50_budget_share", round(m["p50_share"], 4), "share", blocksize=blocksize)
        r.metric("callback_max_budget_share", round(m["max_share"], 4), "share", blocksize=blocksize)
        r.metric("callback_p99_us", round(m["p99_share"] * budget_us, 1), "us", blocksize=blocksize)


if __name__ == "__main__":
    main()
