"""The address table, the patches in patches/ and the server agree; the Pure
Data patch runs headless against the engine's real UDP port."""

import importlib.util
import json
import pathlib
import re
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
from tests.test_control_osc import free_udp_port

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
        found = ["/" + "/".join(m.split()) for m in re.findall(r"oscformat (?:-f \S+ )?([^;]+);", text)]
        # addresses set at run time ("set livemappr pad $1 learn"): $1 is the pad number
        found += ["/" + "/".join(m.replace("\\$1", "<n>").split())
                  for m in re.findall(r"msg \d+ \d+ set ([^;]+);", text)]
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
    pd = b"#X obj 1 1 oscformat -f s livemappr pad 0 nam;\n#X msg 1 1 set livemappr pad \\$1 lern;\n"
    assert unknown("x.pd", pd) == ["/livemappr/pad/0/nam", "/livemappr/pad/<n>/lern"]
    tosc = generator()._osc("/livemappr/nosuch", [])
    xml = f"<lexml><node><messages>{tosc}</messages></node></lexml>".encode()
    assert unknown("x.tosc", zlib.compress(xml)) == ["/livemappr/nosuch"]


def test_touchosc_layout_has_pads_xy_record_loops_and_label_feedback():
    root = ET.fromstring(zlib.decompress((PATCHES / "livemappr.tosc").read_bytes()))
    types = [n.get("type") for n in root.iter("node")]
    assert types.count("BUTTON") >= 3 * 16 + 5 and "XY" in types and types.count("LABEL") == 16 + 1  # + help
    paths = set(addresses_in("livemappr.tosc", (PATCHES / "livemappr.tosc").read_bytes()))
    for p in ("/livemappr/xy", "/livemappr/record", "/livemappr/loop/record", "/livemappr/loop/play",
              "/livemappr/pad/15", "/livemappr/pad/15/label", "/livemappr/pad/0/color", "/livemappr/voice"):
        assert p in paths
    for n in range(A.PADS):
        assert {f"/livemappr/pad/{n}/learn", f"/livemappr/pad/{n}/forget"} <= paths


def _tosc_controls():
    """name -> (type, frame (x, y, w, h), properties, [(path, args, triggers)]) of every node in the layout."""
    root = ET.fromstring(zlib.decompress((PATCHES / "livemappr.tosc").read_bytes()))
    out = {}
    for node in root.iter("node"):
        props = {p.findtext("key"): p.find("value") for p in node.find("properties")}
        frame = tuple(int(props["frame"].findtext(k)) for k in "xywh")
        msgs = [("".join(p.findtext("value") for p in m.find("path")),
                 [a.findtext("value") for a in m.find("arguments")],
                 [(t.findtext("var"), t.findtext("condition")) for t in m.find("triggers")])
                for m in (node.find("messages") if node.find("messages") is not None else ())]
        out[props["name"].text] = (node.get("type"), frame, props, msgs)
    return out


def test_touchosc_learn_is_held_forget_is_pressed_and_voice_toggles():
    c = _tosc_controls()
    for n in range(A.PADS):
        kind, _, props, msgs = c[f"learn{n}"]
        # momentary (buttonType 0): x is 1 while held and 0 on release, each change sent
        assert kind == "BUTTON" and props["buttonType"].text == "0"
        assert msgs == [(f"/livemappr/pad/{n}/learn", ["x"], [("x", "ANY")])]
        kind, _, _, msgs = c[f"forget{n}"]
        assert msgs == [(f"/livemappr/pad/{n}/forget", [], [("touch", "RISE")])]
    kind, _, props, msgs = c["voice"]
    assert props["buttonType"].text == "1" and msgs == [("/livemappr/voice", ["x"], [("x", "ANY")])]


def test_touchosc_controls_do_not_overlap_and_fit_the_layout():
    c = _tosc_controls()
    root_w, root_h = c["livemappr"][1][2:]
    touchable = {name: v[1] for name, v in c.items() if v[0] != "GROUP" and name.startswith(("pad", "learn", "forget"))
                 or v[0] in ("BUTTON", "XY", "FADER")}
    for name, (_, (x, y, w, h), _, _) in c.items():
        assert 0 <= x and x + w <= root_w and 0 <= y and y + h <= root_h, name
    names = sorted(touchable)
    for i, a in enumerate(names):
        ax, ay, aw, ah = touchable[a]
        for b in names[i + 1:]:
            bx, by, bw, bh = touchable[b]
            assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, (a, b)
    for n in range(A.PADS):  # a pad's label lies on its pad, not on its learn and forget buttons
        lx, ly, lw, lh = c[f"label{n}"][1]
        px, py, pw, ph = c[f"pad{n}"][1]
        assert px <= lx and lx + lw <= px + pw and py <= ly and ly + lh <= py + ph


def test_max_patch_teaches_forgets_names_and_plays_by_voice():
    patcher = json.loads((PATCHES / "livemappr.maxpat").read_text())["patcher"]
    boxes = {b["box"]["id"]: b["box"] for b in patcher["boxes"]}
    send = next(i for i, b in boxes.items() if b.get("text", "").startswith("udpsend "))
    into = {}
    for line in patcher["lines"]:
        (s, _), (d, _) = line["patchline"]["source"], line["patchline"]["destination"]
        into.setdefault(d, []).append(boxes[s])
    sent = {b["text"]: b for b in into[send]}
    for n in range(A.PADS):
        # a toggle's 1 and 0 become the learn message's argument
        learn = sent[f"/livemappr/pad/{n}/learn $1"]
        assert [b["maxclass"] for b in into[learn["id"]]] == ["toggle"]
        assert f"/livemappr/pad/{n}/forget" in sent
    assert "/livemappr/pad/0/name kick" in sent
    voice = sent["prepend /livemappr/voice"]
    assert [b["maxclass"] for b in into[voice["id"]]] == ["toggle"]


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
    fb_port = free_udp_port()
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


def test_pure_data_patch_headless_teaches_forgets_names_and_toggles_voice():
    # The teach section's toggles and bangs send to lm-learn-<n> / lm-forget-<n>;
    # -send reaches the same receivers, so this drives the wiring a click drives.
    e, slots = engine_with_snippets(16)
    t = Trigger(e, SnapshotRef(grid_snapshot(slots, 16)))
    calls = []
    hooks = {"pad_learn": lambda n, on: calls.append(("learn", n, on)),
             "pad_forget": lambda n: calls.append(("forget", n)),
             "pad_name": lambda n, name: calls.append(("name", n, name)),
             "voice": lambda on: calls.append(("voice", on))}
    server = OscServer(t, host="127.0.0.1", port=0, hooks=hooks).start()
    fb_port = free_udp_port()
    sends = ["lm-learn-3 1", "lm-learn-3 0", "lm-forget-12 bang", "lm-name 5 kick", "lm-learn 15 1",
             "lm-voice 1", "lm-voice 0"]
    pd = subprocess.Popen(
        ["pd", "-nogui", "-nosound", "-nomidi", "-stderr", "-open", str(PATCHES / "livemappr.pd"),
         "-send", f"lm-connect 127.0.0.1 {server.port}; lm-listen {fb_port}; " + "; ".join(sends)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert wait_until(lambda: len(calls) >= len(sends), 10), calls
        time.sleep(0.2)  # nothing more arrives
    finally:
        pd.terminate()
        log = pd.communicate(timeout=5)[0]
        server.close()
    assert "error" not in log.lower() and "couldn't create" not in log, log
    assert calls == [("learn", 3, True), ("learn", 3, False), ("forget", 12), ("name", 5, "kick"),
                     ("learn", 15, True), ("voice", True), ("voice", False)]
    assert server.errors.counts() == {}
