"""The Max/MSP and TouchOSC patches have the structure the real applications
write, so they load and each control sends or receives the right OSC.

Neither Max nor TouchOSC runs here, so the rules below come from files those
applications saved, found in public repositories (each rule names where it was
seen), and from hexler's TouchOSC manual. The checks return a list of problems;
the tests at the end show each check finds a break planted in a good file.
"""

import json
import pathlib
import re
import shutil
import subprocess
import uuid
import xml.etree.ElementTree as ET
import zlib

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


# -- TouchOSC ------------------------------------------------------------------------
#
# Compared with .tosc files TouchOSC itself saved (single-quoted attributes,
# time-based node IDs):
#   AlbertoV5/tosclib docs/demos/files/controls.tosc  one of each control as the
#       editor creates it: property sets, value objects, default OSC messages
#       (an XY's one message triggered by x and y with arguments x and y)
#   AlbertoV5/tosclib docs/demos/files/stoic.tosc  a large layout: labels that
#       receive text (VALUE STRING text, trigger text), scripts, RISE triggers
#   AlbertoV5/tosclib docs/demos/files/messages.tosc  a fader's MIDI, OSC, local
#       and gamepad messages, every element in order
#   Petey-B/TouchOSC-Widgets QuickMarkers/QuickMarkers.tosc and
#       EditCursorJogWheel/WDG_gECjog.tosc  a whole path in one CONSTANT
#       partial, argument-less messages sent on touch RISE/FALL, Lua in CDATA
#   ThibaultDucray/TonexPedal-TouchOSC-Template v1.0/ToneX-controler.tosc
#       (lexml 4) and v4.3/ToneX-controler-4-3.tosc, bobbadshy/touchosc_obxd_template
#       obxd_plain.tosc (lexml 5): noDuplicates and ten-digit connections
#       appear only from lexml 5 on, so a version 3 document has neither.
# hexler's manual (Editor · Messages · OSC, Editor · Control · Values,
# Script · Examples) gives trigger conditions ANY/RISE/FALL and value types.

LEXML_VERSION = "3"
NODE_CHILDREN = ("properties", "values", "messages", "children")
OSC_CHILDREN = ("enabled", "send", "receive", "feedback", "connections", "triggers", "path", "arguments")
PARTIAL_CHILDREN = ("type", "conversion", "value", "scaleMin", "scaleMax")
VALUE_CHILDREN = ("key", "locked", "lockedDefaultCurrent", "default", "defaultPull")
PARTIAL_TYPES = {"CONSTANT", "INDEX", "VALUE", "PROPERTY"}
CONVERSIONS = {"BOOLEAN", "INTEGER", "FLOAT", "STRING"}
CONDITIONS = {"ANY", "RISE", "FALL"}
_COMMON = {"background": "b", "color": "c", "cornerRadius": "f", "frame": "r", "grabFocus": "b", "interactive": "b",
           "locked": "b", "name": "s", "orientation": "i", "outline": "b", "outlineStyle": "i",
           "pointerPriority": "i", "shape": "i", "visible": "b"}
# Property keys and types per node type, as controls.tosc has them.
PROPERTIES = {
    "GROUP": _COMMON,
    "BUTTON": dict(_COMMON, buttonType="i", press="b", release="b", valuePosition="b"),
    "LABEL": dict(_COMMON, font="i", textAlignH="i", textAlignV="i", textClip="b", textColor="c", textLength="i",
                  textSize="i"),
    "FADER": dict(_COMMON, bar="b", barDisplay="i", cursor="b", cursorDisplay="i", grid="b", gridSteps="i",
                  response="i", responseFactor="i"),
    "XY": dict(_COMMON, cursor="b", cursorDisplay="i", gridStepsX="i", gridStepsY="i", gridX="b", gridY="b",
               lines="b", linesDisplay="i", lockX="b", lockY="b", response="i", responseFactor="i"),
}
OPTIONAL_PROPERTIES = {"script": "s", "tag": "s"}
VALUE_KEYS = {"GROUP": {"touch"}, "BUTTON": {"touch", "x"}, "LABEL": {"text", "touch"}, "FADER": {"touch", "x"},
              "XY": {"touch", "x", "y"}}


def _tags(el):
    return tuple(c.tag for c in el)


def _number(text, kind):
    try:
        return kind(text)
    except (TypeError, ValueError):
        return None


def tosc_problems(data):
    """What in a .tosc (zlib-compressed lexml) TouchOSC would not have written."""
    try:
        xml = zlib.decompress(data)
    except zlib.error as e:
        return [f"not zlib: {e}"]
    if not xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?><lexml "):
        return [f"starts {xml[:60]!r}, TouchOSC writes the XML declaration then <lexml>"]
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as e:
        return [f"not XML: {e}"]
    problems = []
    if root.tag != "lexml" or root.get("version") != LEXML_VERSION:
        problems.append(f"root <{root.tag} version={root.get('version')!r}>, want lexml version {LEXML_VERSION}")
    if _tags(root) != ("node",) or root[0].get("type") != "GROUP":
        problems.append("the root holds one GROUP node")
    for node in root.iter("node"):
        kind = node.get("type")
        where = f"{kind} {node.get('ID')}"
        try:
            uuid.UUID(node.get("ID") or "")
        except ValueError:
            problems.append(f"{where}: ID is not a UUID")
        if kind not in PROPERTIES:
            problems.append(f"{where}: node type not in PROPERTIES")
            continue
        tags = _tags(node)
        if tags[:2] != ("properties", "values") or list(tags) != [t for t in NODE_CHILDREN if t in tags]:
            problems.append(f"{where}: children {tags}, TouchOSC writes {NODE_CHILDREN} in order, the last two only "
                            "when not empty")
            continue
        keys = []
        for prop in node.find("properties"):
            key, value, t = prop.findtext("key"), prop.find("value"), prop.get("type")
            keys.append(key)
            want = PROPERTIES[kind].get(key) or OPTIONAL_PROPERTIES.get(key)
            if want != t:
                problems.append(f"{where}: property {key!r} type {t!r}, want {want!r}")
            if value is None:
                problems.append(f"{where}: property {key!r} has no value")
            elif t == "b" and value.text not in ("0", "1"):
                problems.append(f"{where}: boolean {key!r} is {value.text!r}, not 0/1")
            elif t == "i" and _number(value.text, int) is None:
                problems.append(f"{where}: integer {key!r} is {value.text!r}")
            elif t == "f" and _number(value.text, float) is None:
                problems.append(f"{where}: float {key!r} is {value.text!r}")
            elif t == "r" and (_tags(value) != ("x", "y", "w", "h")
                               or any(_number(c.text, int) is None for c in value)):
                problems.append(f"{where}: rectangle {key!r} is not whole <x><y><w><h>")
            elif t == "c" and (_tags(value) != ("r", "g", "b", "a")
                               or not all(0 <= (_number(c.text, float) or 0) <= 1 and _number(c.text, float)
                                          is not None for c in value)):
                problems.append(f"{where}: colour {key!r} is not <r><g><b><a> in 0..1")
        if keys != sorted(keys) or len(set(keys)) != len(keys):
            problems.append(f"{where}: properties not sorted by key, once each")
        missing = set(PROPERTIES[kind]) - set(keys)
        if missing:
            problems.append(f"{where}: missing properties {sorted(missing)}")
        values = {}
        for v in node.find("values"):
            if _tags(v) != VALUE_CHILDREN:
                problems.append(f"{where}: value children {_tags(v)}, want {VALUE_CHILDREN}")
            values[v.findtext("key")] = v.findtext("default")
        if set(values) != VALUE_KEYS[kind]:
            problems.append(f"{where}: value objects {sorted(values)}, a {kind} has {sorted(VALUE_KEYS[kind])}")
        for msg in node.find("messages") if node.find("messages") is not None else ():
            if msg.tag != "osc":
                continue
            if _tags(msg) != OSC_CHILDREN:
                problems.append(f"{where}: osc children {_tags(msg)}, lexml {LEXML_VERSION} has {OSC_CHILDREN}")
                continue
            for flag in ("enabled", "send", "receive", "feedback"):
                if msg.findtext(flag) not in ("0", "1"):
                    problems.append(f"{where}: osc {flag} is {msg.findtext(flag)!r}")
            if not re.fullmatch(r"[01]{5}", msg.findtext("connections") or "") or "1" not in msg.findtext(
                    "connections"):
                problems.append(f"{where}: connections {msg.findtext('connections')!r}, want 5 digits, one on")
            for trig in msg.find("triggers"):
                if _tags(trig) != ("var", "condition") or trig.findtext("condition") not in CONDITIONS \
                        or trig.findtext("var") not in values:
                    problems.append(f"{where}: trigger {[c.text for c in trig]} is not a value of the node and "
                                    "ANY/RISE/FALL")
            for part in list(msg.find("path")) + list(msg.find("arguments")):
                if part.tag != "partial" or _tags(part) != PARTIAL_CHILDREN:
                    problems.append(f"{where}: partial children {_tags(part)}, want {PARTIAL_CHILDREN}")
                elif part.findtext("type") not in PARTIAL_TYPES or part.findtext("conversion") not in CONVERSIONS:
                    problems.append(f"{where}: partial {part.findtext('type')}/{part.findtext('conversion')}")
                elif part.findtext("type") == "VALUE" and part.findtext("value") not in values:
                    problems.append(f"{where}: argument value {part.findtext('value')!r} is not a value of the node")
    return problems


def messages(data):
    """Every OSC message of a layout: (node type, node name, send, receive,
    path, [(type, conversion, value)], [(var, condition)])."""
    root = ET.fromstring(zlib.decompress(data))
    out = []
    for node in root.iter("node"):
        name = next(p.findtext("value") for p in node.find("properties") if p.findtext("key") == "name")
        own = node.find("messages")  # this node's own messages, not its children's
        for msg in own.findall("osc") if own is not None else ():
            path = "".join(p.findtext("value") for p in msg.find("path"))
            args = [(p.findtext("type"), p.findtext("conversion"), p.findtext("value")) for p in msg.find("arguments")]
            trig = [(t.findtext("var"), t.findtext("condition")) for t in msg.find("triggers")]
            out.append((node.get("type"), name, msg.findtext("send") == "1", msg.findtext("receive") == "1", path,
                        args, trig))
    return out


def tosc_bytes():
    return (PATCHES / "livemappr.tosc").read_bytes()


def test_touchosc_layout_is_structured_as_touchosc_writes_it():
    assert tosc_problems(tosc_bytes()) == []


CONVERSION_OF_KIND = {"float": {"FLOAT", "INTEGER"}, "flag": {"FLOAT", "INTEGER", "BOOLEAN"},
                      "int": {"INTEGER", "FLOAT"}, "str": {"STRING"}, "name": {"STRING", "INTEGER"}}


def check_messages(data):
    """Assert each message of a layout sends or receives what the address table says."""
    msgs = messages(data)
    assert len(msgs) >= 2 * A.PADS + 6
    for kind, name, send, receive, path, args, trig in msgs:
        if send:  # the engine receives it: its address and argument count are in the table
            address, _ = A.lookup(path)
            assert address is not None, path
            required = sum(not a.optional for a in address.args)
            assert required <= len(args) <= len(address.args), (name, path, args)
            for (_, conv, _), arg in zip(args, address.args):
                assert conv in CONVERSION_OF_KIND[arg.kind], (name, arg, conv)
            if not args:  # one message per press: "ANY" on a button would also send on release
                assert trig in ([("touch", "RISE")], [("x", "RISE")]), (name, trig)
        else:  # feedback from the engine sets the control's values
            assert receive and A.known(path) and A.lookup(path)[0] is None, (name, path)
            address = next(a for a in A.OSC if a.pattern.match(path))
            assert len(args) == len(address.args) and all(t == "VALUE" for t, _, _ in args), (name, args)
    by_name = {m[1]: m for m in msgs}
    assert by_name["map"][5] == [("VALUE", "FLOAT", "x"), ("VALUE", "FLOAT", "y")]
    assert set(by_name["map"][6]) == {("x", "ANY"), ("y", "ANY")}  # moving either axis sends
    for n in range(A.PADS):
        assert by_name[f"pad{n}"][4:6] == (f"/livemappr/pad/{n}", [("VALUE", "FLOAT", "x")])
        label = by_name[f"label{n}"]
        assert label[0] == "LABEL" and label[3] and label[4] == f"/livemappr/pad/{n}/label"
        assert label[5:] == ([("VALUE", "STRING", "text")], [("text", "ANY")])


def test_touchosc_messages_match_the_address_table():
    check_messages(tosc_bytes())


def test_touchosc_root_script_subscribes_and_colours_every_pad():
    root = ET.fromstring(zlib.decompress(tosc_bytes()))[0]
    script = next(p.findtext("value") for p in root.find("properties") if p.findtext("key") == "script")
    assert "&lt;" not in script and "&amp;" not in script  # CDATA holds the Lua as it is
    assert "function init()" in script and "sendOSC('/livemappr/subscribe', 9000)" in script
    assert "function onReceiveOSC(message, connections)" in script
    names = {p.findtext("value") for n in root.iter("node") for p in n.find("properties")
             if p.findtext("key") == "name"}
    for n in range(A.PADS):
        assert f"['/livemappr/pad/{n}/color'] = 'pad{n}'," in script and f"pad{n}" in names


@pytest.mark.skipif(shutil.which("luac5.1") is None, reason="no Lua 5.1 compiler (apt-get install lua5.1)")
def test_touchosc_root_script_is_lua_5_1(tmp_path):
    # TouchOSC's scripting is Lua 5.1 (hexler's scripting API page)
    root = ET.fromstring(zlib.decompress(tosc_bytes()))[0]
    script = next(p.findtext("value") for p in root.find("properties") if p.findtext("key") == "script")
    (tmp_path / "root.lua").write_text(script)
    done = subprocess.run(["luac5.1", "-p", str(tmp_path / "root.lua")], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr


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


def _tosc_broken(old, new, count=1):
    xml = zlib.decompress(tosc_bytes()).decode()
    assert old in xml, old
    return tosc_problems(zlib.compress(xml.replace(old, new, count).encode()))


@pytest.mark.parametrize("old,new", [
    ("<lexml version='3'>", "<lexml version='5'>"),
    ("<feedback>0</feedback><connections>", "<feedback>0</feedback><noDuplicates>0</noDuplicates><connections>"),
    ("<connections>00001</connections>", "<connections>1111111111</connections>"),
    ("<key><![CDATA[buttonType]]></key><value>0</value>", "<key><![CDATA[buttonType]]></key><value>x</value>"),
    ("<value><x>20</x>", "<value><y>20</y>"),
    ("<condition>ANY</condition>", "<condition>CHANGE</condition>"),
    ("<conversion>FLOAT</conversion>", "<conversion>DOUBLE</conversion>"),
    ("<type>VALUE</type><conversion>FLOAT</conversion><value><![CDATA[x]]>",
     "<type>VALUE</type><conversion>FLOAT</conversion><value><![CDATA[z]]>"),
    ("<values><value><key><![CDATA[touch]]></key>", "<values><value><key><![CDATA[tuch]]></key>"),
    ("<property type='b'><key><![CDATA[background]]></key><value>1</value></property>", ""),
    ("type='BUTTON'", "type='PUSHBUTTON'"),
    ("<?xml version='1.0' encoding='UTF-8'?>", ""),
])
def test_touchosc_check_catches_a_broken_layout(old, new):
    assert _tosc_broken(old, new) != []


def test_touchosc_message_check_catches_wrong_arguments_and_triggers():
    xml = zlib.decompress(tosc_bytes()).decode()
    # the XY sending only when x moves, as the layout first did
    one_axis = xml.replace("<var><![CDATA[x]]></var><condition>ANY</condition></trigger><trigger>"
                           "<var><![CDATA[y]]></var><condition>ANY</condition></trigger>",
                           "<var><![CDATA[x]]></var><condition>ANY</condition></trigger>")
    # a tap sent on press and on release
    twice = xml.replace("<var><![CDATA[touch]]></var><condition>RISE</condition>",
                        "<var><![CDATA[x]]></var><condition>ANY</condition>")
    for bad in (one_axis, twice):
        assert bad != xml and tosc_problems(zlib.compress(bad.encode())) == []
        with pytest.raises(AssertionError):
            check_messages(zlib.compress(bad.encode()))
