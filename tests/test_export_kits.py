"""Kits that load everywhere (#19 item 4): one-shot SFZ regions, --rate/--bits, a Decent
Sampler preset, --hardware folders; each checked by a parser that is not ours (sfzlint,
soundfile's reading of the WAV header, xml.etree against the documented .dspreset format)."""

import os
import pathlib
import re
import subprocess
from xml.etree import ElementTree

import numpy as np
import pytest
import soundfile

from livemappr.cli import main
from tests.test_export import SR, make_map

SFZLINT = pathlib.Path(os.sys.executable).parent / "sfzlint"


def sine(seconds, freq, amp=0.4, rate=SR):
    return (amp * np.sin(2 * np.pi * freq * np.arange(int(seconds * rate)) / rate)).astype(np.float32)


def kit_map(tmp_path, amp=0.4):
    """Three clusters (one empty), four snippets of pure tones in a float WAV at the map's rate."""
    src = tmp_path / "mymap" / "src"
    src.mkdir(parents=True)
    soundfile.write(src / "Take One.wav", sine(2.0, 1000, amp), SR, subtype="FLOAT")
    snippets = [
        {"id": 0, "source": "src/Take One.wav", "start": 0.5, "end": 0.8, "x": 0, "y": 0, "cluster": 3},
        {"id": 1, "source": "src/Take One.wav", "start": 1.0, "end": 1.2, "x": 1, "y": 0, "cluster": 3},
        {"id": 4, "source": "src/Take One.wav", "start": 0.1, "end": 0.2, "x": 5, "y": 5, "cluster": 7},
        {"id": 5, "source": "src/Take One.wav", "start": 1.5, "end": 1.9, "x": 5, "y": 6, "cluster": 7},
    ]
    clusters = [{"id": 3, "key": "Snare Drum Hit", "note": 39, "size": 2},
                {"id": 7, "key": "kick", "note": 36, "size": 2},
                {"id": 9, "key": "z", "note": 40, "size": 0}]
    return make_map(tmp_path, clusters, snippets)


def lint(sfz):
    r = subprocess.run([str(SFZLINT), str(sfz)], capture_output=True, text=True)
    assert (r.returncode, r.stdout.strip(), r.stderr.strip()) == (0, "", ""), r


def parse_sfz(text):
    """``[(group opcodes, region opcodes)]`` of every region, by a reader of the SFZ syntax."""
    regions, group = [], {}
    for line in text.splitlines():
        line = line.split("//")[0].strip()
        if not line:
            continue
        header, _, rest = line.partition(" ")
        opcodes = dict(kv.split("=", 1) for kv in rest.split())
        if header == "<group>":
            group = opcodes
        elif header == "<region>":
            regions.append((group, opcodes))
        else:
            raise AssertionError(f"unexpected header {header}")
    return regions


def test_every_sfz_region_is_one_shot_and_lints_clean(tmp_path):
    kit = tmp_path / "kit"
    assert main(["export", str(kit_map(tmp_path)), "--out", str(kit)]) == 0
    sfz = kit / "mymap.sfz"
    lint(sfz)
    regions = parse_sfz(sfz.read_text())
    assert len(regions) == 4
    assert all(r.get("loop_mode") == "one_shot" for _, r in regions)
    assert all((kit / r["sample"]).is_file() for _, r in regions)


@pytest.mark.parametrize("rate, bits, subtype", [(44100, 16, "PCM_16"), (48000, 24, "PCM_24"), (96000, 32, "FLOAT"),
                                                 (44100, 24, "PCM_24")])
def test_rate_and_bits_reach_the_wav_headers_and_resampling_is_band_limited(tmp_path, rate, bits, subtype):
    kit = tmp_path / "kit"
    assert main(["export", str(kit_map(tmp_path)), "--out", str(kit), "--rate", str(rate), "--bits", str(bits)]) == 0
    wavs = sorted(kit.rglob("*.wav"))
    assert len(wavs) == 4
    for wav in wavs:
        info = soundfile.info(wav)
        assert (info.samplerate, info.subtype, info.channels, info.format) == (rate, subtype, 1, "WAV")
    # snippet 0 is 0.5..0.8 s of a 1 kHz sine: at the new rate it is the same sine, sampled anew
    got, sr = soundfile.read(kit / "03_snare_drum_hit" / "00000_take_one.wav", dtype="float64")
    assert sr == rate and got.shape == (round(0.3 * rate),)
    want = 0.4 * np.sin(2 * np.pi * 1000 * (0.5 + np.arange(got.size) / rate))
    inner = slice(64, got.size - int(0.002 * rate) - 1)  # away from the cut edges and the fade
    tolerance = {16: 2e-4, 24: 1e-4, 32: 1e-4}[bits]
    assert np.max(np.abs(got[inner] - want[inner])) < tolerance
    lint(kit / "mymap.sfz")


def test_integer_pcm_is_clipped_not_wrapped(tmp_path):
    kit = tmp_path / "kit"
    assert main(["export", str(kit_map(tmp_path, amp=1.5)), "--out", str(kit), "--bits", "16"]) == 0
    got, _ = soundfile.read(kit / "03_snare_drum_hit" / "00000_take_one.wav", dtype="float64")
    want = np.clip(1.5 * np.sin(2 * np.pi * 1000 * (0.5 + np.arange(got.size) / SR)), -1, 1)
    n = got.size - int(0.002 * SR)
    assert np.max(np.abs(got[:n] - want[:n])) < 1e-3


@pytest.mark.parametrize("args, message", [
    (["--rate", "12345"], "--rate must be one of 22050, 32000, 44100, 48000, 88200, 96000, 176400, 192000; got 12345"),
    (["--bits", "8"], "--bits must be 16, 24 or 32 (float); got 8"),
    (["--rate", "fast"], "argument --rate: invalid int value: 'fast'"),
    (["--hardware", "--bits", "24"], "--hardware writes 16-bit WAVs; --bits 24 asks for another"),
    (["--hardware", "--rate", "96000"], "--hardware writes 44100 or 48000 Hz; --rate 96000 is neither"),
])
def test_bad_format_options_are_one_line_usage_errors_before_anything_is_written(tmp_path, capsys, args, message):
    kit = tmp_path / "kit"
    assert main(["export", str(kit_map(tmp_path)), "--out", str(kit)] + args) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"livemappr: error: {message}"
    assert not kit.exists()


# The documented .dspreset format (DecentSampler Developers Guide, "The <groups> element"):
# the attributes each element may carry, of those this exporter writes.
DS_GROUP_ATTRS = {"name", "seqMode", "seqLength", "trigger", "loopEnabled", "attack", "decay", "sustain", "release"}
DS_SAMPLE_ATTRS = {"path", "rootNote", "loNote", "hiNote", "seqPosition", "trigger", "loopEnabled"}


def check_dspreset(preset):
    """Structure per the documented format; returns ``{note: [paths in seqPosition order]}``."""
    root = ElementTree.parse(preset).getroot()
    assert root.tag == "DecentSampler" and re.fullmatch(r"\d+\.\d+\.\d+", root.get("minVersion"))
    assert [child.tag for child in root] == ["groups"]  # one and only one <groups>
    notes = {}
    for group in root.find("groups"):
        assert group.tag == "group" and set(group.attrib) <= DS_GROUP_ATTRS
        assert group.get("seqMode") == "round_robin" and group.get("trigger") == "attack"
        assert group.get("loopEnabled") == "false" and float(group.get("sustain")) == 1.0
        samples = list(group)
        assert samples and all(s.tag == "sample" and set(s.attrib) <= DS_SAMPLE_ATTRS for s in samples)
        assert int(group.get("seqLength")) == len(samples)
        assert [int(s.get("seqPosition")) for s in samples] == list(range(1, len(samples) + 1))
        note = int(samples[0].get("rootNote"))
        assert 1 <= note <= 127 and note not in notes
        longest = 0.0
        for s in samples:
            assert int(s.get("rootNote")) == int(s.get("loNote")) == int(s.get("hiNote")) == note
            assert s.get("trigger") == "attack" and s.get("loopEnabled") == "false"
            path = s.get("path")
            assert not path.startswith("/") and "\\" not in path and ".." not in path.split("/")
            assert (preset.parent / path).is_file()
            longest = max(longest, soundfile.info(preset.parent / path).duration)
        assert float(group.get("release")) >= longest  # a note-off fades nothing audible
        notes[note] = [s.get("path") for s in samples]
    return notes


def test_decent_sampler_preset_maps_the_same_files_to_the_same_notes_as_the_sfz(tmp_path):
    kit = tmp_path / "kit"
    assert main(["export", str(kit_map(tmp_path)), "--out", str(kit)]) == 0
    notes = check_dspreset(kit / "mymap.dspreset")
    sfz = {}
    for group, region in parse_sfz((kit / "mymap.sfz").read_text()):
        sfz.setdefault(int(group["key"]), []).append(region["sample"])
    assert notes == sfz == {36: ["07_kick/00004_take_one.wav", "07_kick/00005_take_one.wav"],
                            39: ["03_snare_drum_hit/00000_take_one.wav", "03_snare_drum_hit/00001_take_one.wav"]}


@pytest.mark.parametrize("args, rate", [([], 48000), (["--rate", "44100"], 44100)])
def test_hardware_kit_is_mono_16_bit_with_numbered_8_3_names(tmp_path, args, rate):
    kit = tmp_path / "kit"
    d = kit_map(tmp_path)
    d = d.rename(tmp_path / "My Long Session Name")
    assert main(["export", str(d), "--out", str(kit), "--hardware"] + args) == 0
    files = sorted(p.relative_to(kit).as_posix() for p in kit.rglob("*") if p.is_file())
    assert files == ["01_kick/01.wav", "01_kick/02.wav", "02_snare/01.wav", "02_snare/02.wav",
                     "my_long.dspreset", "my_long.sfz"]
    for p in kit.rglob("*"):
        stem, _, ext = p.name.partition(".")
        assert re.fullmatch(r"[a-z0-9_-]{1,8}", stem) and (p.is_dir() or ext in ("wav", "sfz", "dspreset"))
        if p.suffix == ".wav":
            info = soundfile.info(p)
            assert (info.samplerate, info.subtype, info.channels) == (rate, "PCM_16", 1)
    lint(kit / "my_long.sfz")
    check_dspreset(kit / "my_long.dspreset")


def test_session_journal_is_resampled_to_the_kit_rate(tmp_path):
    from livemappr.audio.config import EngineConfig
    from livemappr.audio.engine import Engine
    from livemappr.audio.offline import render
    from livemappr.files import mapfile
    from livemappr.session import journal

    e = Engine(EngineConfig(ring_seconds=2, bank_seconds=0.1, bank_slots=2))
    sess = tmp_path / "session"
    j = journal.Journal(sess, e.ring_reader(0), SR)
    j.start(0)
    render(e, input=sine(0.5, 1000))
    j.stop()
    mapfile.write(sess, mapfile.MapFile(SR, (mapfile.SnippetEntry(0, journal.AUDIO_FILE, 0.1, 0.2, 0, 0, 0),),
                                        (mapfile.ClusterEntry(0, "a", 36, 1),)))
    kit = tmp_path / "kit"
    assert main(["export", str(sess), "--out", str(kit), "--rate", "44100", "--bits", "32"]) == 0
    got, sr = soundfile.read(kit / "00_a" / "00000_capture.wav", dtype="float64")
    assert sr == 44100 and got.size == 4410
    want = 0.4 * np.sin(2 * np.pi * 1000 * (0.1 + np.arange(got.size) / 44100))
    assert np.max(np.abs(got[64:4000] - want[64:4000])) < 1e-4


def session_with_patterns(tmp_path, notes_of):
    """A session folder: map.json (clusters 0 and 1 on the notes ``notes_of`` gives) and two
    patterns the live session's /livemappr/export wrote, plus a file that only looks like one."""
    from fractions import Fraction

    from livemappr.control import midifile

    d = kit_map(tmp_path)
    doc = __import__("json").loads((d / "map.json").read_text())
    doc["clusters"] = [{"id": 0, "key": "a", "note": notes_of(0), "size": 2},
                       {"id": 1, "key": "b", "note": notes_of(1), "size": 2}]
    for s in doc["snippets"]:
        s["cluster"] = 0 if s["cluster"] == 3 else 1
    (d / "map.json").write_text(__import__("json").dumps(doc))
    kick, snare = 36, 37  # pads of clusters 0 and 1, as PatternLooper.midi_notes writes them
    midifile.write(d / "pattern_0.mid", [(0, kick, 100, Fraction(1, 4)), (1, snare, 90, Fraction(1, 4)),
                                         (Fraction(5, 2), kick, 64, Fraction(1, 4))], 120, length_beats=8)
    midifile.write(d / "pattern_3.mid", [(Fraction(1, 3), snare, 127, Fraction(1, 4))], 96.5, length_beats=4)
    (d / "pattern_5.mid").write_bytes(b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0MTrk\x00\x00\x00\x02\x00\x90")
    return d


def mido_notes(path):
    import mido

    f = mido.MidiFile(path)
    t, out = 0, []
    for msg in f.tracks[0]:
        t += msg.time
        if msg.type == "note_on" and msg.velocity:
            out.append((t, msg.channel, msg.note, msg.velocity))
    return f.ticks_per_beat, out, [m.tempo for m in f.tracks[0] if m.type == "set_tempo"]


def test_session_patterns_become_midi_files_that_play_the_kit(tmp_path, capsys):
    d = session_with_patterns(tmp_path, lambda c: [50, 60][c])  # a map whose keys are not the pads'
    kit = tmp_path / "kit"
    assert main(["export", str(d), "--out", str(kit)]) == 0
    assert "skipped pattern_5.mid: an event runs past its track" in capsys.readouterr().out
    assert sorted(p.name for p in (kit / "patterns").iterdir()) == ["pattern_0.mid", "pattern_3.mid"]
    ppq, notes, tempo = mido_notes(kit / "patterns" / "pattern_0.mid")
    assert notes == [(0, 9, 50, 100), (ppq, 9, 60, 90), (5 * ppq // 2, 9, 50, 64)] and tempo == [500000]
    ppq, notes, tempo = mido_notes(kit / "patterns" / "pattern_3.mid")
    assert notes == [(ppq // 3, 9, 60, 127)] and tempo == [round(60e6 / 96.5)]
    keys = {int(g["key"]) for g, _ in parse_sfz((kit / "mymap.sfz").read_text())}
    assert keys == {50, 60}  # every note of the patterns has a key in the kit
    assert set(check_dspreset(kit / "mymap.dspreset")) == keys


def test_hardware_patterns_have_8_3_names_and_pad_notes_stay(tmp_path):
    d = session_with_patterns(tmp_path, lambda c: 36 + c)  # a live session's own map: keys are the pads
    kit = tmp_path / "kit"
    assert main(["export", str(d), "--out", str(kit), "--hardware"]) == 0
    assert sorted(p.name for p in (kit / "patterns").iterdir()) == ["pat01.mid", "pat04.mid"]
    assert (kit / "patterns" / "pat01.mid").read_bytes() == (d / "pattern_0.mid").read_bytes()
    assert [n[2] for n in mido_notes(kit / "patterns" / "pat04.mid")[1]] == [37]
