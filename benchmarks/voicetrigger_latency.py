"""Onset to sound through a private JACK server (bench_voicetrigger.py's latency half).

``onset_to_sound_p99_ms``: from a hit's onset in the input (the JACK frame a
player client wrote it at) to the first sample of the sound it triggered at
the engine's output port (the JACK frame a recorder client read it at), over
the later hits of tests/voice_rig.py's take (pads taught from its first
sounds), at 128 and 64 frames a period, 48 kHz. Goal: at most one block plus
12 ms (14.7 ms at 128). What it is made of: the 5.8 ms window the decision
waits for, the worker's wake-up (it reads the ring every millisecond while
playing by voice; this VM wakes threads up to 9 ms late), the block the
trigger waits for.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def latency_rows(periods=(128, 64), seeds=(0, 1)):
    import sounddevice as sd

    from tests import voice_rig
    from tests.jackserver import JackServer

    rows = []
    for period in periods:
        lat, right, missed, xruns = [], [], 0, 0
        for seed in seeds:
            server = JackServer(period=period, sync=True).start()
            sd._terminate()  # PortAudio lists devices (and JACK) at initialisation
            sd._initialize()
            try:
                r = voice_rig.run(server, seed=seed, n_test=32)
            finally:
                sd._terminate()
                server.stop()
                sd._initialize()
            lat += r["latency_ms"]
            right += r["right"]
            missed += r["missed"]
            xruns += r["xruns"]
        block_ms = 1000.0 * period / 48000
        rows.append({"bench": "voicetrigger", "metric": "onset_to_sound_p99_ms",
                     "value": round(float(np.percentile(lat, 99)), 2), "unit": "ms", "period": period,
                     "median_ms": round(float(np.median(lat)), 2), "min_ms": round(float(np.min(lat)), 2),
                     "goal_ms": round(block_ms + 12.0, 2), "hits": len(lat), "missed": missed,
                     "right_pad": round(float(np.mean(right)), 3), "xruns": xruns})
    return rows
