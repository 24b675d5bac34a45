"""``livemappr devices``: audio devices, then MIDI ports in and out.

Runs on: the main thread.
"""

from livemappr.errors import UsageError


def run(args):
    from livemappr.audio.stream import list_devices

    devices = list_devices()
    if not devices:
        print("no audio devices (no sound card, and no JACK server running)")
    for d in devices:
        print(f"{d['index']} {d['name']} ({d['hostapi']}, {d['inputs']} in, {d['outputs']} out, "
              f"{d['samplerate']:g} Hz)")
    from livemappr.control.midi import list_ports

    try:
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
