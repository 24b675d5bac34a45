"""The audio thread allocates nothing once warm."""

import ctypes

import numpy as np
from numba.core.runtime import rtsys

from livemappr.audio.config import EngineConfig
from livemappr.audio.engine import Engine
from livemappr.realtime.callback import compile_callback


def setup_module():
    # Counting is off unless NUMBA_NRT_STATS was set before numba loaded.
    from numba.core.runtime import _nrt_python

    np_array_maker()  # brings up numba's runtime
    _nrt_python.memsys_enable_stats()


def test_numba_stats_are_switched_on():
    # Without stats the counts below would stay 0 and prove nothing; and the
    # control side's calls do allocate wrappers, so counting can see them.
    before = rtsys.get_allocation_stats()
    np_array_maker()
    after = rtsys.get_allocation_stats()
    assert after.alloc > before.alloc


def np_array_maker():
    from numba import njit

    @njit
    def make():
        return np.zeros(10)

    make()


def no_worker_threads():
    # numba's counts are process-wide: a worker thread left running by another
    # test (its calls into numba wrap arrays) would be counted here.
    import threading

    alive = [t.name for t in threading.enumerate() if t.name.startswith("livemappr")]
    assert not alive, f"threads left running by earlier tests: {alive}"


def test_ten_thousand_callbacks_allocate_nothing():
    no_worker_threads()
    cfg = EngineConfig(blocksize=64, in_channels=1, out_channels=2, max_voices=32,
                       ring_seconds=2, bank_seconds=2, bank_slots=64, event_capacity=64)
    e = Engine(cfg)
    rng = np.random.default_rng(0)
    slots = [e.bank.add(rng.standard_normal(4000).astype(np.float32) * 0.1) for _ in range(8)]
    cb = compile_callback()
    fn = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_ulong,
                          ctypes.c_void_p, ctypes.c_ulong, ctypes.c_void_p)(cb.address)
    inp = np.zeros(64 * cfg.in_channels, np.float32)
    out = np.zeros(64 * cfg.out_channels, np.float32)
    user = e.table.ctypes.data

    counted = np.zeros(4, np.int64)  # NRT alloc, free, mi_alloc, mi_free inside callbacks

    def run(n):
        for i in range(n):
            # commands keep flowing: plays (more than the pool holds), stops, params
            e.play(slots[i % 8], rate=0.5 + (i % 7) / 4, reverse=i % 3 == 0, tag=i % 4, choke=int(i % 10 == 0))
            if i % 37 == 0:
                e.stop(i % 4)
            if i % 101 == 0:
                e.set_param("master_gain", 0.5 + (i % 2) / 2)
            inp[:] = rng.standard_normal(inp.shape[0])
            # Only the callback is counted: control-side calls into numba
            # (play, events) wrap their numpy arguments, on their own thread.
            before = rtsys.get_allocation_stats()
            status = fn(inp.ctypes.data, out.ctypes.data, 64, None, 4 if i % 997 == 0 else 0, user)
            after = rtsys.get_allocation_stats()
            counted[:] += np.subtract(after, before)
            assert status == 0
            e.events()

    run(200)  # warm up
    counted[:] = 0
    run(10_000)
    m = e.meters()
    assert m["callbacks"] == 10_200 and m["commands"] > 2000 and m["voices_max"] == 32
    flagged = sum(1 for i in range(200) if i % 997 == 0) + sum(1 for i in range(10_000) if i % 997 == 0)
    assert m["steals"] > 0 and m["xruns"] == flagged
    assert counted.tolist() == [0, 0, 0, 0]
