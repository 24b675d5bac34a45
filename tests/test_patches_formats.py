"""The Max/MSP patch has the structure Max writes, so it loads and each
object sends or receives the right OSC.

Max does not run here, so the rules below come from files Max saved, found in
public repositories (each rule names where it was seen). The check returns a
list of problems; the tests at the end show it finds breaks planted in a good
file.
"""

import json
import pathlib

import pytest

from livemappr.control import addresses as A

PATCHES = pathlib.Path(__file__).resolve().parent.parent / "patches"

# -- Max/MSP -------------------------------------------------------------------------
#
# (numinlets, numoutlets, outlettype) that Max writes for each box, by maxclass
# or, for "newobj", by the object's first word, given its number of arguments.
# Seen in patches saved by Max 7.3-9.1 (top-level "box" namespace; RNBO's own
# flonum, with one outlet, is another object):
#   comment    1 0 []            Cycling74/n4m-examples cors-service/cors-service.maxpat (8.0.2);
#                                Cycling74/max-sdk help/gridmeter~.maxhelp (8.0.0)
#   message    2 1 [""]          Cycling74/n4m-examples cors-service/cors-service.maxpat;
#                                Cycling74/rnbo-adc-workshop rnbo-custom-vst/patches/blob-synth.maxpat (8.5.1);
#                                fadeddata/TouchOscToMax examples/oscRouting.maxpat (7.3.4)
#   button     1 1 ["bang"]      Cycling74/n4m-examples cors-service/cors-service.maxpat;
#                                francesco-di-maggio/modulo examples/instruments/mo-granulator.maxpat (9.1.0)
#   toggle     1 1 ["int"]       Cycling74/n4m-examples express/patchers/express.maxpat (8.0.0);
#                                Cycling74/rnbo-adc-workshop rnbo-custom-vst/patches/blob-synth.maxpat
#   flonum     1 2 ["", "bang"]  Cycling74/max-sdk help/gridmeter~.maxhelp; fadeddata/TouchOscToMax
#                                examples/oscRouting.maxpat; francesco-di-maggio/modulo help/input/mo.dial.maxhelp
#   udpsend    1 0 []            Cycling74/rnbo-adc-workshop rnbo-rpi-interface/patches/14112022-fishsynth-simple.maxpat;
#                                fadeddata/TouchOscToMax examples/oscRouting.maxpat;
#                                francesco-di-maggio/modulo examples/instruments/mo-gyrOSC.maxpat (9.1.0)
#   udpreceive 1 1 [""]          fadeddata/TouchOscToMax examples/oscRouting.maxpat;
#                                francesco-di-maggio/modulo examples/instruments/mo-wekinator.maxpat (9.0.3)
#   prepend    1 1 [""]          Cycling74/n4m-examples cors-service/cors-service.maxpat;
#                                francesco-di-maggio/modulo examples/instruments/mo-gridsync.maxpat
#   route n    n+1 n+1 [""]*     Cycling74/n4m-examples dog-ceo/dogceo.maxpat (n=1); francesco-di-maggio/modulo
#                                examples/instruments/mo-gametrak.maxpat (n=7); francesco-di-maggio/modulo-plus
#                                examples/instruments/mo-gyrosc.maxpat (n=9), patchers/utility/mo.looper~.maxpat (n=12)
#   pak n      n 1 [""]          Cycling74/max-sdk help/jit.gl.simple.maxhelp (n=3); francesco-di-maggio/modulo-plus
#                                examples/tutorials/mo-classifier.maxpat (n=2, n=4)
#   loadbang   1 1 ["bang"]      Cycling74/n4m-examples twitter/twitter.maxpat (8.0.0)
#   print      1 0 []            Cycling74/n4m-examples cors-service/cors-service.maxpat;
#                                fadeddata/TouchOscToMax examples/oscRouting.maxpat
MAX_IO = {
    "comment": lambda n: (1, 0, []),
    "message": lambda n: (2, 1, [""]),
    "button": lambda n: (1, 1, ["bang"]),
    "toggle": lambda n: (1, 1, ["int"]),
    "flonum": lambda n: (1, 2, ["", "bang"]),
    "udpsend": lambda n: (1, 0, []),
    "udpreceive": lambda n: (1, 1, [""]),
    "prepend": lambda n: (1, 1, [""]),
    "route": lambda n: (n + 1, n + 1, [""] * (n + 1)),
    "pak": lambda n: (n, 1, [""]),
    "loadbang": lambda n: (1, 1, ["bang"]),
    "print": lambda n: (1, 0, []),
}


def max_problems(doc):
    """What in a .maxpat document Max would not have written: box counts,
    outlet types, dangling or out-of-range patchlines."""
    problems = []
    p = doc.get("patcher")
    if not isinstance(p, dict):
        return ["no patcher object"]
    if p.get("fileversion") != 1:
        problems.append(f"fileversion {p.get('fileversion')!r}, Max writes 1")
    app = p.get("appversion", {})
    if not {"major", "minor", "revision", "architecture", "modernui"} <= set(app):
        problems.append(f"appversion {app!r} lacks what Max 8 writes")
    if p.get("classnamespace") != "box":
        problems.append("a Max 8 patcher has classnamespace box")
    if not (isinstance(p.get("rect"), list) and len(p["rect"]) == 4):
        problems.append("rect is not [x, y, w, h]")
    boxes = {}
    for entry in p.get("boxes", []):
        b = entry.get("box", {})
        bid, cls, text = b.get("id"), b.get("maxclass"), b.get("text", "")
        if bid in boxes:
            problems.append(f"{bid}: duplicate id")
        boxes[bid] = b
        if not (isinstance(b.get("patching_rect"), list) and len(b["patching_rect"]) == 4):
            problems.append(f"{bid}: patching_rect is not [x, y, w, h]")
        name = text.split()[0] if cls == "newobj" and text.split() else cls
        if name not in MAX_IO:
            problems.append(f"{bid}: {cls} {text!r} is not in MAX_IO (add it with where its counts were seen)")
            continue
        want = MAX_IO[name](len(text.split()) - 1 if cls == "newobj" else 0)
        got = (b.get("numinlets"), b.get("numoutlets"), b.get("outlettype", []))
        if got != want:
            problems.append(f"{bid}: {cls} {text!r} has inlets/outlets/outlettype {got}, Max writes {want}")
    for entry in p.get("lines", []):
        line = entry.get("patchline", {})
        (src, outlet), (dst, inlet) = line.get("source", [None, -1]), line.get("destination", [None, -1])
        if src not in boxes or dst not in boxes:
            problems.append(f"line {src}->{dst}: no such box")
            continue
        if not 0 <= outlet < boxes[src].get("numoutlets", 0):
            problems.append(f"line {src}:{outlet}->{dst}: {src} has {boxes[src].get('numoutlets')} outlets")
        if not 0 <= inlet < boxes[dst].get("numinlets", 0):
            problems.append(f"line {src}->{dst}:{inlet}: {dst} has {boxes[dst].get('numinlets')} inlets")
    return problems


def max_doc():
    return json.loads((PATCHES / "livemappr.maxpat").read_text())


def box_with(doc, text):
    return next(b["box"] for b in doc["patcher"]["boxes"] if b["box"].get("text", "").startswith(text))


def test_max_patch_boxes_and_lines_are_as_max_writes_them():
    doc = max_doc()
    assert max_problems(doc) == []
    classes = {b["box"]["maxclass"] for b in doc["patcher"]["boxes"]}
    assert {"message", "button", "toggle", "flonum", "newobj"} <= classes


def test_max_patch_sends_and_receives_through_udp():
    doc = max_doc()
    boxes = {b["box"]["id"]: b["box"] for b in doc["patcher"]["boxes"]}
    into = {}
    for line in doc["patcher"]["lines"]:
        (s, o), (d, i) = line["patchline"]["source"], line["patchline"]["destination"]
        into.setdefault(d, []).append((boxes[s], o, i))
    send = box_with(doc, "udpsend ")
    assert send["text"].split()[1:] == ["127.0.0.1", "8000"]
    # Whatever reaches udpsend is an OSC message whose selector is the address.
    senders = into[send["id"]]
    assert len(senders) >= A.PADS + 5
    for b, _, _ in senders:
        address = b["text"].split()[1 if b["maxclass"] == "newobj" else 0]
        assert b["maxclass"] == "message" or b["text"].startswith("prepend "), b
        assert A.lookup(address)[0] is not None, address
    recv = box_with(doc, "udpreceive ")
    assert recv["text"].split()[1] == "9000"
    first = box_with(doc, "route /livemappr/record/state")
    assert (recv, 0, 0) in into[first["id"]]
    for path in first["text"].split()[1:]:
        assert A.known(path) and not A.lookup(path)[0], path  # feedback addresses only
    labels = box_with(doc, "route /livemappr/pad/0/label")
    # The label route hangs off the first route's last (reject) outlet.
    assert (first, first["numoutlets"] - 1, 0) in into[labels["id"]]


# -- the checks catch what they check ------------------------------------------------


def _max_broken(change):
    doc = max_doc()
    change(doc["patcher"])
    return max_problems(doc)


def _first(p, text):
    return next(b["box"] for b in p["boxes"] if b["box"].get("text", "").startswith(text))


@pytest.mark.parametrize("change", [
    lambda p: _first(p, "route /livemappr/record").update(numinlets=1),  # the original mistake
    lambda p: _first(p, "/livemappr/stop").update(numinlets=1),
    lambda p: _first(p, "udpreceive").pop("outlettype"),
    lambda p: _first(p, "udpsend").update(numoutlets=1, outlettype=[""]),
    lambda p: _first(p, "pak").update(text="pak 0. 0. 0."),
    lambda p: _first(p, "loadbang").update(text="live.dial"),
    lambda p: p["lines"].append({"patchline": {"source": ["obj-2", 0], "destination": ["obj-3", 0]}}),
    lambda p: p["lines"].append({"patchline": {"source": ["obj-3", 1], "destination": ["obj-2", 0]}}),
    lambda p: p["lines"].append({"patchline": {"source": ["obj-3", 0], "destination": ["obj-999", 0]}}),
    lambda p: p.pop("classnamespace"),
])
def test_max_check_catches_a_broken_patch(change):
    assert _max_broken(change) != []
