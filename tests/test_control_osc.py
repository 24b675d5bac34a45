"""The OSC server with real clients (liblo's oscsend/oscdump, python-osc bundles)
and every kind of bad input."""

import logging
import os
import socket
import struct
import subprocess
import time

import numpy as np
import pytest
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder

from livemappr.control.osc import OscServer, parse_packet
from livemappr.control.playable import SnapshotRef
from livemappr.control.trigger import Trigger
from livemappr.audio.offline import render
from tests.control_helpers import engine_with_snippets, grid_snapshot, level_of, onsets, which_snippet
from tests.jackserver import wait_until


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def served():
    e, slots = engine_with_snippets(8)
    render(e, 64)
    t = Trigger(e, SnapshotRef(grid_snapshot(slots, 4)))
    server = OscServer(t, host="127.0.0.1", port=0, feedback_interval=0.02).start()
    yield e, t, server
    server.close()


def oscsend(port, path, types="", *values):
    subprocess.run(["oscsend", "127.0.0.1", str(port), path, types, *map(str, values)], check=True, timeout=10)


def sent(server, n, timeout=5):
    assert wait_until(lambda: server.received >= n, timeout), f"server saw {server.received} of {n} datagrams"


def test_oscsend_float_cluster_plays_that_cluster(served):
    e, t, server = served
    oscsend(server.port, "/livemappr/cluster/play", "ff", 2.0, 0.5)  # Pd/TouchOSC style floats
    oscsend(server.port, "/livemappr/pad/3", "f", 1.0)
    sent(server, 2)
    out = render(e, 3000)
    # Both arrived before the first block: they start together, at its first frame.
    assert list(onsets(out[:, 0])) == [0]
    assert out[10, 0] == pytest.approx(0.5 * level_of(2) + level_of(3))
    assert server.errors.counts() == {}


def test_every_kind_of_bad_input_is_counted_and_reported_once(served, caplog):
    e, t, server = served
    rng = np.random.default_rng(1)
    good = OscMessageBuilder("/livemappr/cluster/play")
    good.add_arg(1.0)
    dgram = good.build().dgram
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    bad = []
    for _ in range(50):
        bad.append(rng.integers(0, 256, rng.integers(1, 200), dtype=np.uint8).tobytes())  # random bytes
        bad.append(dgram[:rng.integers(1, len(dgram))])  # truncated
    bad.append(b"#bundle\x00" + b"\x00" * 4)  # bundle without a whole timetag
    bad.append(b"#bundle\x00" + b"\x00" * 7 + b"\x01" + struct.pack(">i", 400) + dgram)  # element overruns
    with caplog.at_level(logging.WARNING, logger="livemappr.control"):
        for d in bad:
            s.sendto(d, ("127.0.0.1", server.port))
        sent(server, len(bad))
        time.sleep(0.05)
        garbage = server.errors.counts()
        assert sum(garbage.values()) == len(bad)  # each datagram counted exactly once
        assert garbage["malformed"] >= 90  # a few truncations still parse, with too few arguments
        assert set(garbage) <= {"malformed", "wrong_argument_count", "out_of_range"}
        for _ in range(5):
            oscsend(server.port, "/livemappr/nosuch", "i", 1)
            oscsend(server.port, "/livemappr/cluster/play", "s", "three")
            oscsend(server.port, "/livemappr/cluster/play", "fff", 1, 1, 1)
            oscsend(server.port, "/livemappr/cluster/play")
            oscsend(server.port, "/livemappr/cluster/play", "f", 2.5)
            oscsend(server.port, "/livemappr/cluster/play", "if", 1, 7.0)
            oscsend(server.port, "/livemappr/pad/99", "f", 1)
            oscsend(server.port, "/livemappr/xy", "ff", 0.5, float("nan"))
        oscsend(server.port, "/livemappr/cluster/play", "f", 1.0)  # and it still plays
        sent(server, len(bad) + 41)
        time.sleep(0.1)
    counts = server.errors.counts()
    for kind, n in garbage.items():
        counts[kind] -= n
    assert counts == {"malformed": 0, "wrong_argument_count": 10, "wrong_argument_type": 5,
                      "unknown_address": 5, "out_of_range": 20}
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == len(counts)  # once per kind, not per packet
    out = render(e, 2000)
    assert which_snippet(out, int(onsets(out[:, 0])[0]) + 1) == 1


def test_error_messages_name_address_argument_value_and_range(served):
    e, t, server = served
    oscsend(server.port, "/livemappr/cluster/play", "f", 2.5)
    oscsend(server.port, "/livemappr/xy", "fff", 0.5, 0.5, 3.0)
    oscsend(server.port, "/livemappr/volume", "s", "loud")
    oscsend(server.port, "/livemappr/choice", "s", "loudest")
    sent(server, 4)
    time.sleep(0.05)
    first = server.errors.first_messages()
    assert first["out_of_range"] == "/livemappr/cluster/play n must be a whole number, got 2.5"
    assert first["wrong_argument_type"] == "/livemappr/volume gain must be a number, got 'loud'"
    assert server.errors.counts()["out_of_range"] == 3


def test_allow_list_drops_other_clients_before_parsing():
    e, slots = engine_with_snippets(2)
    t = Trigger(e, SnapshotRef(grid_snapshot(slots, 2)))
    with OscServer(t, host="127.0.0.1", port=0, allow=["10.1.2.3"]) as server:
        oscsend(server.port, "/livemappr/cluster/play", "i", 0)
        sent(server, 1)
        time.sleep(0.05)
        assert server.errors.counts() == {"not_allowed": 1}
    assert e.meters()["commands"] == 0 and not render(e, 500).any()
    # The default list admits loopback and private networks, never public ones.
    with OscServer(t, host="127.0.0.1", port=0) as server:
        assert server.allowed("127.0.0.1") and server.allowed("192.168.1.20") and server.allowed("10.0.0.7")
        assert not server.allowed("8.8.8.8") and not server.allowed("2001:db8::1")


def test_bundle_with_a_future_timetag_plays_at_that_time(served):
    e, t, server = served
    # The offline engine's clock: frame F is "now" and advances only by rendering,
    # so aim the bundle from the clock itself.
    sr = e.config.samplerate
    when = time.time() + 0.5
    b = OscBundleBuilder(when)
    m = OscMessageBuilder("/livemappr/cluster/play")
    m.add_arg(3.0)
    b.add_content(m.build())
    frame_expected = t.clock.at_wall(when)
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b.build().dgram, ("127.0.0.1", server.port))
    sent(server, 1)
    out = render(e, sr)
    on = onsets(out[:, 0])[0] + e.frame - sr
    assert abs(on - frame_expected) < 0.05 * sr  # the clock freezes offline; live test is exact
    assert which_snippet(out, int(onsets(out[:, 0])[0]) + 1) == 3


def test_record_takes_numbers_and_on_off(served):
    e, t, server = served
    states = []
    server.hooks["record"] = states.append
    for types, value in (("f", "1.0"), ("s", "off"), ("i", "1"), ("s", "OFF"), ("s", "maybe")):
        oscsend(server.port, "/livemappr/record", types, value)
    sent(server, 5)
    assert wait_until(lambda: len(states) == 4, 2)
    assert states == [True, False, True, False]
    assert server.errors.counts() == {"wrong_argument_type": 1}


def test_nested_and_immediate_bundles_parse():
    inner = OscBundleBuilder(IMMEDIATELY)
    m = OscMessageBuilder("/livemappr/pad/2")
    m.add_arg(1.0)
    inner.add_content(m.build())
    outer = OscBundleBuilder(IMMEDIATELY)
    outer.add_content(inner.build())
    outer.add_content(m.build())
    got = parse_packet(outer.build().dgram)
    assert [(w, msg.address, msg.params) for w, msg in got] == [(None, "/livemappr/pad/2", [1.0])] * 2


def test_subscribers_get_map_labels_colours_and_new_versions_in_oscdump(served):
    e, t, server = served
    port = free_udp_port()
    dump = subprocess.Popen(["oscdump", "-L", str(port)], stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.3)
        oscsend(server.port, "/livemappr/subscribe", "f", float(port))  # a float port is fine
        oscsend(server.port, "/livemappr/record", "f", 1.0)
        time.sleep(0.5)
        snap = t.snapshots.get()
        t.snapshots.publish(type(snap)(snap.positions, snap.cluster_ids, snap.slots, version=7))
        oscsend(server.port, "/livemappr/cluster/play", "f", 0.0)
        time.sleep(0.5)
    finally:
        os.kill(dump.pid, 15)
        text = dump.communicate(timeout=5)[0]
    assert "/livemappr/map/version ii 1 8" in text
    assert "/livemappr/map/version ii 7 8" in text
    assert "/livemappr/cluster/sizes iiii 2 2 2 2" in text
    assert '/livemappr/pad/0/label s "0: 2"' in text
    assert '/livemappr/pad/9/label s "9: -"' in text
    assert "/livemappr/pad/1/color ffff" in text
    assert "/livemappr/record/state i 1" in text
    assert "/livemappr/map/points i" + "ffi" * 8 + " 0 " in text
    assert "/livemappr/meters iii" in text
