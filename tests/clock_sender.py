"""A JACK client that sends MIDI clock at exact frames (run as its own process).

    python tests/clock_sender.py NAME BPM SECONDS [odd]

Sends Start, then a tick every 60 / BPM / 24 seconds, each at its exact frame
inside the JACK period; prints one line "start <frame> <usecs>" (the frame of
the first tick and JACK's time for it, in microseconds of CLOCK_MONOTONIC).
"""

import sys
import threading
import time

import ctypes

import jack

_libjack = ctypes.CDLL("libjack.so.0")
_libjack.jack_frames_to_time.restype = ctypes.c_uint64
_libjack.jack_frames_to_time.argtypes = (ctypes.c_void_p, ctypes.c_uint32)

name, bpm, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
client = jack.Client(name, no_start_server=True)
port = client.midi_outports.register("out")
sr = client.samplerate
period = sr * 60.0 / bpm / 24.0
state = {"next": None, "k": 0, "first": None}
done = threading.Event()


def frames_to_time(frame):
    """JACK's microseconds (CLOCK_MONOTONIC on Linux) when ``frame`` plays."""
    return _libjack.jack_frames_to_time(int(jack._ffi.cast("uintptr_t", client._ptr)), frame & 0xFFFFFFFF)


@client.set_process_callback
def process(frames):
    port.clear_buffer()
    base = client.last_frame_time
    if state["next"] is None:
        state["next"] = float(base + frames + sr // 2)  # 0.5 s from now: time to connect
        state["first"] = int(round(state["next"]))
    while state["next"] < base + frames:
        # A tick whose cycle this client missed (an xrun) goes out late, at
        # the start of this one, rather than not at all.
        off = max(0, int(round(state["next"])) - base)
        if state["k"] == 0:
            port.write_midi_event(off, b"\xfa")
        port.write_midi_event(off, b"\xf8")
        state["k"] += 1
        state["next"] += period
        if state["k"] > seconds * bpm / 60 * 24:
            done.set()


client.activate()
for p in sys.argv[5:]:
    client.connect(port, p)
while state["first"] is None:
    time.sleep(0.01)
print("start", state["first"], frames_to_time(state["first"]), time.monotonic_ns() // 1000,
      frames_to_time(client.frame_time), flush=True)
done.wait(seconds + 5)
time.sleep(0.1)
client.deactivate()
client.close()
