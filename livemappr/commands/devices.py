"""``livemappr devices``: audio devices, which ones ``live`` would use, then MIDI ports in and out.

Runs on: the main thread.
"""

from livemappr.errors import DeviceError, UsageError


def _defaults(devices):
    """``{index: "default input and output"}`` (or one of them), why they
    were chosen, and the sides with no default."""
    from livemappr.audio.devices import default_device

    marks, why, missing = {}, None, []
    for kind in ("input", "output"):
        try:
            d, why = default_device(kind, devices)
        except DeviceError:
            missing.append(kind)
            continue
        marks.setdefault(d["index"], []).append(kind)
    return {i: "default " + " and ".join(kinds) for i, kinds in marks.items()}, why, missing


def run(args):
    from livemappr.audio.devices import list_devices, quiet_libraries

    devices = list_devices()
    if not devices:
        print("no audio devices (no sound card, and no JACK server running)")
    else:
        marks, why, missing = _defaults(devices)
        for d in devices:
            mark = f"  <- {marks[d['index']]} ({why})" if d["index"] in marks else ""
            print(f"{d['index']} {d['name']} ({d['hostapi']}, {d['inputs']} in, {d['outputs']} out, "
                  f"{d['samplerate']:g} Hz){mark}")
        for kind in missing:
            print(f"no default {kind} device")
    from livemappr.control.midi import list_ports

    try:
        with quiet_libraries("MIDI"):  # libjack and libasound say where they found nothing
            midi = list_ports()
    except UsageError as e:
        print(f"MIDI: none ({e})")
        return 0
    for kind, what in (("inputs", "MIDI in"), ("outputs", "MIDI out")):
        ports = midi[kind]
        print(f"{what} ({midi['api']}): {'none' if not ports else ''}")
        for p in ports:
            print(f"  {p}")
    return 0
