"""Audio devices: what PortAudio offers, and which input and output to use.

Runs on: the main thread, before a stream opens.

A JACK server that runs when PortAudio starts is the default (its ``system``
device): a performer who started JACK wants its ports, not the ALSA card JACK
already holds. Otherwise PortAudio's own default input and output. Input and
output may be two devices (a USB mic with a Pi's own output) of one host API,
and the engine's mic may be any channel of a multi-channel input
(``input_channel``, 1-based): the stream then opens that device's channels up
to it and the callback records the chosen one.

The C libraries under PortAudio and python-rtmidi (libjack, libasound) write
their complaints straight to file descriptor 2: a machine without a JACK
server gets half a dozen lines nobody asked for. :func:`quiet_libraries`
holds them while a library starts and hands them to the log at INFO level
(``livemappr -v`` shows them).
"""

import contextlib
import logging
import os
import sys
import tempfile
from dataclasses import dataclass

from livemappr.errors import DeviceError, MissingLibrary

log = logging.getLogger("livemappr.audio")

JACK_API = "JACK Audio Connection Kit"

sd = None  # sounddevice, once _portaudio() has loaded it


class NoDevice(DeviceError):
    """No device to choose by default (no sound card, no JACK server)."""


@contextlib.contextmanager
def quiet_libraries(what):
    """Hold what C libraries write to fd 2 inside the block; log it at INFO after.

    The whole process's fd 2 is held, so keep the block short and around a
    library's start only (another thread's line written meanwhile is logged
    at INFO too, not lost).

    Parameters
    ----------
    what : str
        Which library starts, put before each line in the log.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no fd 2 (a closed or replaced stderr)
        yield
        return
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:  # the library may have failed (and raised): what it said is logged all the same
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            for line in held.read().decode("utf-8", "replace").splitlines():
                if line.strip():
                    log.info("%s: %s", what, line.strip())


def _portaudio():
    """sounddevice, loaded on first use. Without the PortAudio library a
    session still runs with no sound card, and ``devices`` says what to install."""
    global sd
    if sd is None:
        try:
            with quiet_libraries("PortAudio"):
                import sounddevice
        except OSError:  # sounddevice's "PortAudio library not found"
            raise MissingLibrary("PortAudio not found: install it with apt install libportaudio2") from None
        sd = sounddevice
    return sd


def refresh_devices():
    """Re-scan audio devices (PortAudio lists only what existed at start-up,
    e.g. a JACK server or client started later)."""
    _portaudio()
    with quiet_libraries("PortAudio"):
        sd._terminate()
        sd._initialize()


def list_devices():
    """Audio devices as dicts with ``index``, ``name``, ``hostapi``,
    ``inputs``, ``outputs`` and ``samplerate`` (the device default)."""
    _portaudio()
    apis = sd.query_hostapis()
    return [
        {"index": i, "name": d["name"], "hostapi": apis[d["hostapi"]]["name"],
         "inputs": d["max_input_channels"], "outputs": d["max_output_channels"],
         "samplerate": d["default_samplerate"]}
        for i, d in enumerate(sd.query_devices())
    ]


def describe(devices):
    """What exists, for an error message."""
    if not devices:
        return "no audio devices found (is a sound card or a JACK server there?)"
    return "available: " + "; ".join(f"{d['index']} {d['name']!r} ({d['inputs']} in, {d['outputs']} out)"
                                     for d in devices)


_CHANNELS = {"input": "inputs", "output": "outputs"}


def default_device(kind, devices=None):
    """The device used for ``kind`` ("input" or "output") when none is named.

    JACK's when a server ran at PortAudio's start, else PortAudio's default.
    Returns a device dict and why it was chosen; raises :class:`NoDevice`.
    """
    devices = list_devices() if devices is None else devices
    for api in sd.query_hostapis():
        if api["name"] == JACK_API and api[f"default_{kind}_device"] >= 0:
            return devices[api[f"default_{kind}_device"]], "a JACK server runs"
    try:
        index = sd.default.device[0 if kind == "input" else 1]
        if index is None or index < 0:
            index = sd.query_devices(kind=kind)["index"]
    except (sd.PortAudioError, ValueError):
        raise NoDevice(f"no default {kind} device; " + describe(devices)) from None
    return devices[index], "the system's default"


def find_device(spec, kind=None, devices=None):
    """The device ``spec`` names: its index, or part of its name.

    ``kind`` ("input", "output" or None) prefers, among several names that
    match, the devices that have such channels. Raises :class:`DeviceError`
    naming the devices that exist when ``spec`` matches none, or several.
    """
    devices = list_devices() if devices is None else devices
    if isinstance(spec, int) or str(spec).strip().isdigit():
        matches = [d for d in devices if d["index"] == int(spec)]
        if not matches:
            raise DeviceError(f"device {spec} does not exist; " + describe(devices))
        return matches[0]
    text = str(spec).lower()
    matches = [d for d in devices if text in d["name"].lower()]
    if not matches:
        raise DeviceError(f"no device name contains {spec!r}; " + describe(devices))
    if len(matches) > 1 and kind is not None:
        matches = [d for d in matches if d[_CHANNELS[kind]] > 0] or matches
    if len(matches) > 1:
        exact = [d for d in matches if d["name"].lower() == text]
        if len(exact) != 1:
            raise DeviceError(f"device {spec!r} is ambiguous; matches: "
                              + "; ".join(f"{d['index']} {d['name']!r}" for d in matches))
        matches = exact
    return matches[0]


def resolve_device(spec, *, inputs=1, outputs=1):
    """The index of the device ``spec`` names (None: the default output's),
    with at least ``inputs`` and ``outputs`` channels."""
    devices = list_devices()
    if spec is None or spec == "":
        d = default_device("output" if outputs else "input", devices)[0]
    else:
        d = find_device(spec, devices=devices)
    if d["inputs"] < inputs or d["outputs"] < outputs:
        raise DeviceError(
            f"device {d['index']} {d['name']!r} has {d['inputs']} input and {d['outputs']} output "
            f"channel(s); needs {inputs} and {outputs}; " + describe(devices))
    return d["index"]


@dataclass(frozen=True)
class Choice:
    """The devices a stream opens.

    Attributes
    ----------
    input, output : dict
        Device dicts (see :func:`list_devices`); ``input`` None for an
        output-only stream (the mic is a file, and no input device exists).
    input_channel : int
        The device channel (1-based) the engine's first input channel records.
    input_channels : int
        Channels opened on the input device (up to the last one recorded).
    why : str or None
        Why the devices were chosen, when none was named.
    """

    input: dict | None
    output: dict
    input_channel: int
    input_channels: int
    why: str | None = None

    def describe(self):
        """One line: which devices, and why."""
        i, o = self.input, self.output
        if i is None:
            text = f"audio in: none (the mic is a file); out: {o['index']} {o['name']!r}"
        else:
            text = f"audio in: {i['index']} {i['name']!r} channel {self.input_channel}"
            text += f"; out: {o['index']} {o['name']!r}" if o["index"] != i["index"] else ", out: the same"
        text += f" ({o['hostapi']}"
        return text + (f"; {self.why})" if self.why else ")")


def choose(device=None, input_device=None, output_device=None, input_channel=None, in_channels=1, out_channels=2,
           need_input=True):
    """The input and output devices a stream opens, checked.

    Parameters
    ----------
    device : int or str, optional
        Both sides (``--device``); default JACK when a server runs, else the system's.
    input_device, output_device : int or str, optional
        One side each, winning over ``device``.
    input_channel : int, optional
        The input device's channel (1-based) the mic is on; default 1.
    in_channels, out_channels : int
        Channels the engine records and plays.
    need_input : bool
        False when the mic is a file: with no input device named, and none
        by default (a Pi with no mic), the stream is output-only.

    Returns
    -------
    Choice

    Raises
    ------
    DeviceError
        One line naming what exists: the devices, or the input's channels.
        :class:`NoDevice` when nothing was named and there is no default.
    """
    devices = list_devices()
    optional = not need_input and input_device is None  # the mic is a file, and no input was asked for
    why = None
    sides = {}
    for kind, spec in (("output", output_device if output_device is not None else device),
                       ("input", input_device if input_device is not None else device)):
        if spec is None or spec == "":
            try:
                sides[kind], why = default_device(kind, devices)
            except NoDevice:
                if kind == "input" and optional:
                    sides[kind] = None
                    continue
                raise
        else:
            try:
                sides[kind] = find_device(spec, kind, devices)
            except DeviceError as e:
                raise DeviceError(f"{kind} device: {e}") from None
    inp, out = sides["input"], sides["output"]
    if optional and (inp is None or inp["inputs"] < in_channels or inp["hostapi"] != out["hostapi"]):
        inp = None
    if out["outputs"] < out_channels:
        raise DeviceError(f"output device {out['index']} {out['name']!r} has {out['outputs']} output channel(s); "
                          f"needs {out_channels}; " + describe(devices))
    if inp is None:
        return Choice(None, out, 1, 0, why)
    first = 1 if input_channel is None else input_channel
    if isinstance(first, bool) or not isinstance(first, int) or first < 1:
        raise DeviceError(f"input channel must be a whole number from 1, got {input_channel!r}")
    need = first + in_channels - 1
    if inp["inputs"] < need:
        if inp["inputs"] == 0:
            raise DeviceError(f"input device {inp['index']} {inp['name']!r} has no input channels; "
                              + describe(devices))
        if input_channel is not None:
            raise DeviceError(f"input channel {first} does not exist on device {inp['index']} {inp['name']!r}: "
                              f"its channels are 1..{inp['inputs'] - in_channels + 1}")
        raise DeviceError(f"input device {inp['index']} {inp['name']!r} has {inp['inputs']} input channel(s); "
                          f"needs {in_channels}; " + describe(devices))
    if inp["hostapi"] != out["hostapi"]:
        raise DeviceError(f"input device {inp['index']} {inp['name']!r} ({inp['hostapi']}) and output device "
                          f"{out['index']} {out['name']!r} ({out['hostapi']}) are on different host APIs; "
                          "one stream needs both on one")
    return Choice(inp, out, first, need, why)
