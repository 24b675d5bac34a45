"""The address table, the patches in patches/ and the server agree; the Pure
Data patch runs headless against the engine's real UDP port."""

import importlib.util
import json
import pathlib
import re
import socket
import subprocess
import time
import xml.etree.ElementTree as ET
import zlib

import pytest

from livemappr.control import addresses as A
from livemappr.control.osc import OscServer
from livemappr.control.playable import SnapshotRef
from livemappr.control.trigger import Trigger
from livemappr.audio.offline import render
from tests.control_helpers import engine_with_snippets, grid_snapshot, level_of, onsets
from tests.jackserver import wait_until

PATCHES = pathlib.Path(__file__).resolve().parent.parent / "patches"
ADDRESS = re.compile(r"/livemappr(?:/[A-Za-z0-9_<>]+)+")


def generator():
    spec = importlib.util.spec_from_file_location("make_patches", PATCHES / "make_patches.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def addresses_in(name, data):
    """Every OSC address a patch file uses."""
    if name.endswith(".pd"):
        text = data.decode()
        found = ["/" + "/".join(m.split()) for m in re.findall(r"oscformat ([^;]+);", text)]
        return found + ADDRESS.findall(text)
    if name.endswith(".tosc"):
        root = ET.fromstring(zlib.decompress(data))
        found = [p.text for p in root.iter("path") for p in p.iter("value")]
        scripts = [v.text or "" for prop in root.iter("property") if prop.find("key").text == "script"
                   for v in prop.iter("value")]
        return found + [a for s in scripts for a in ADDRESS.findall(s)]
    return ADDRESS.findall(data.decode())


def unknown(name, data):
    return sorted({a for a in addresses_in(name, data) if not A.known(a) and a.split("/")[-1] != "<n>"
                   and not A.known(a.replace("<n>", "0"))})


def test_patches_are_generated_from_the_current_table():
    gen = generator()
    for name, data in gen.outputs((PATCHES / "README.md").read_text()).items():
        assert (PATCHES / name).read_bytes() == data, f"patches/{name} is stale: run python patches/make_patches.py"


@pytest.mark.parametrize("name", ["livemappr.pd", "livemappr.maxpat", "livemappr.tosc", "README.md"])
def test_every_address_a_patch_uses_is_in_the_table(name):
    data = (PATCHES / name).read_bytes()
    used = addresses_in(name, data)
    assert len(used) >= 5, f"found only {used} in {name}: the reader is broken"
    assert unknown(name, data) == []


def test_the_check_catches_an_address_missing_from_the_table():
    pd = b"#X obj 10 10 oscformat livemappr pad 3;\n#X obj 10 10 oscformat livemappr padz 3;\n"
    assert unknown("x.pd", pd) == ["/livemappr/padz/3"]
    tosc = generator()._osc("/livemappr/nosuch", [])
    xml = f"<lexml><node><messages>{tosc}</messages></node></lexml>".encode()
    assert unknown("x.tosc", zlib.compress(xml)) == ["/livemappr/nosuch"]


def test_touchosc_layout_has_pads_xy_record_loops_and_label_feedback():
    root = ET.fromstring(zlib.decompress((PATCHES / "livemappr.tosc").read_bytes()))
    types = [n.get("type") for n in root.iter("node")]
    assert types.count("BUTTON") >= 16 + 4 and "XY" in types and types.count("LABEL") == 16
    paths = set(addresses_in("livemappr.tosc", (PATCHES / "livemappr.tosc").read_bytes()))
    for p in ("/livemappr/xy", "/livemappr/record", "/livemappr/loop/record", "/livemappr/loop/play",
              "/livemappr/pad/15", "/livemappr/pad/15/label", "/livemappr/pad/0/color"):
        assert p in paths


def test_max_patch_is_valid_json_with_send_and_receive():
    patcher = json.loads((PATCHES / "livemappr.maxpat").read_text())["patcher"]
    texts = [b["box"].get("text", "") for b in patcher["boxes"]]
    assert "udpsend 127.0.0.1 8000" in texts and "udpreceive 9000" in texts
    ids = {b["box"]["id"] for b in patcher["boxes"]}
    for line in patcher["lines"]:
        assert line["patchline"]["source"][0] in ids and line["patchline"]["destination"][0] in ids


def test_every_inbound_address_has_a_handler_and_the_readme_documents_it():
    readme = (PATCHES / "README.md").read_text()
    for a in A.INBOUND:
        assert callable(getattr(OscServer, "_on_" + a.action, None)), a.path
    for a in A.OSC:
        assert f"`{a.path}`" in readme


def test_pure_data_patch_headless_plays_the_engine_and_shows_feedback(tmp_path):
    e, slots = engine_with_snippets(16)
    render(e, 64)
    t = Trigger(e, SnapshotRef(grid_snapshot(slots, 16)))
    recorded = []
    server = OscServer(t, host="127.0.0.1", port=0, hooks={"record": recorded.append},
                       feedback_interval=0.02).start()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    fb_port = s.getsockname()[1]
    s.close()
    pd = subprocess.Popen(
        ["pd", "-nogui", "-nosound", "-nomidi", "-stderr", "-open", str(PATCHES / "livemappr.pd"),
         "-send", f"lm-connect 127.0.0.1 {server.port}; lm-listen {fb_port}; lm-pad-5 0.5; lm-record 1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert wait_until(lambda: recorded == [True], 10), "the patch's record toggle never arrived"
        time.sleep(0.5)  # feedback: record state, labels
        t.snapshots.publish(grid_snapshot(slots, 16, version=2))
        time.sleep(0.3)
    finally:
        pd.terminate()
        log = pd.communicate(timeout=5)[0]
        server.close()
    assert "error" not in log.lower() and "couldn't create" not in log, log
    assert "livemappr-record: 1" in log  # the engine's feedback, printed by the patch
    assert server.errors.counts() == {}
    out = render(e, 2000)
    assert list(onsets(out[:, 0])) == [0]
    assert out[5, 0] == pytest.approx(0.5 * level_of(5))
