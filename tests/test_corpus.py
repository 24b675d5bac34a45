"""The development corpus (tests/corpus.py): what each group holds and how it is cut."""

from __future__ import annotations

import os
import struct
import subprocess

import numpy as np
import pytest

from tests import corpus as C
from tests import drumkits

SR = C.SR
GROUP_LABELS = {
    "drums": set(drumkits.LABELS),
    "gm_kits": set(C.GM_NOTES.values()),
    "vocal_proxy": set(C.VOCAL_PHONEMES),
}


@pytest.fixture(scope="module", params=C.GROUPS)
def group(request):
    return C.load(request.param)


def test_a_group_has_three_sources_and_each_label_three(group):
    assert len(group) == len(group.labels) == len(group.sources) == len(group.names) > 50
    assert len(set(group.sources.tolist())) >= 3
    assert set(group.labels.tolist()) == GROUP_LABELS[group.group]
    for label in GROUP_LABELS[group.group]:
        sources = set(group.sources[group.labels == label].tolist())
        assert len(sources) >= 3, f"{group.group}: {label} from {sorted(sources)} only"


def test_one_shots_are_mono_finite_audible_and_at_most_a_second(group):
    for x, name in zip(group.audio, group.names):
        assert x.dtype == np.float32 and x.ndim == 1, name
        assert 64 <= len(x) <= SR * C.MAX_SECONDS, (name, len(x))
        assert np.all(np.isfinite(x)), name
        assert np.abs(x).max() >= C.SILENT_PEAK, name


def test_one_shots_start_within_10_ms_of_their_onset(group):
    late = [(str(n), C.onset_index(x) / SR) for x, n in zip(group.audio, group.names)
            if C.onset_index(x) > 0.010 * SR]
    assert not late, late[:5]


def test_no_one_shot_is_a_copy_of_another_sources():
    # The point of _drop_copies: a held-out source's sound is not in training.
    for g in ("gm_kits", "vocal_proxy"):
        c = C.load(g)
        for label in set(c.labels.tolist()):
            idx = np.flatnonzero(c.labels == label)
            for a in range(len(idx)):
                for b in range(a):
                    i, j = idx[a], idx[b]
                    if c.sources[i] != c.sources[j]:
                        assert not C.same_sound(c.audio[i], c.audio[j]), (c.names[i], c.names[j])


def test_labels_follow_the_rules():
    assert C.GM_NOTES[36] == C.GM_NOTES[35] == "kick"
    assert C.GM_NOTES[38] == C.GM_NOTES[40] == "snare"
    assert C.GM_NOTES[39] == "clap" and C.GM_NOTES[42] == C.GM_NOTES[46] == "hihat"
    assert C.GM_NOTES[45] == "tom" and C.GM_NOTES[49] == C.GM_NOTES[51] == "cymbal"
    assert 37 not in C.GM_NOTES  # side stick
    gm = C.load("gm_kits")
    for note, label in ((36, "kick"), (38, "snare"), (42, "hihat"), (46, "hihat"), (49, "cymbal"),
                        (45, "tom"), (39, "clap")):
        picked = np.char.startswith(gm.names, f"n{note} ")
        assert picked.sum() >= 3 and set(gm.labels[picked].tolist()) == {label}, note
    vocal = C.load("vocal_proxy")
    for phonemes, label in (("b@", "kick"), ("kS", "snare"), ("ts", "hihat"), ("tsss", "openhat")):
        picked = np.char.startswith(vocal.names, f"{phonemes} ")
        assert picked.sum() >= 1 and set(vocal.labels[picked].tolist()) == {label}, phonemes
    drums = C.load("drums")
    gm_rock = drums.sources == "GMRockKit"
    for instrument, label in (("Kick", "kick"), ("Snare", "snare")):
        picked = gm_rock & np.char.startswith(drums.names, instrument)
        assert picked.sum() >= 1 and set(drums.labels[picked].tolist()) == {label}, instrument


def test_gm_kits_come_from_each_soundfont_and_its_kits():
    gm = C.load("gm_kits")
    fonts = {s.split("/")[0] for s in gm.sources.tolist()}
    assert fonts == set(C.SOUNDFONTS)
    assert C.gm_kits(C.SOUNDFONTS["TimGM6mb"][0])[:2] == [(0, "standard"), (8, "room")]
    # The program change took: the TR-808 kit's kick is not the standard kit's.
    kick = {s: gm.audio[i] for i, s in enumerate(gm.sources.tolist()) if gm.names[i] == "n36 v100"}
    assert not C.same_sound(kick["TimGM6mb/standard"], kick["TimGM6mb/tr808"])


# ---------------------------------------------------------------- soundfonts

def test_only_the_allowed_soundfonts_are_named():
    assert {pkg for _, pkg in C.SOUNDFONTS.values()} == {
        "timgm6mb-soundfont", "csound-soundfont", "opl3-soundfont"}
    for path, _ in C.SOUNDFONTS.values():
        assert C.check_soundfont(path) == path
        assert os.path.realpath(path) == path and not os.path.islink(path)

    # anything else is refused: another file beside them, or a link to an allowed one
    folder = os.path.dirname(C.SOUNDFONTS["TimGM6mb"][0])
    for other in sorted(os.listdir(folder)):
        path = os.path.join(folder, other)
        if path not in {p for p, _ in C.SOUNDFONTS.values()}:
            with pytest.raises(ValueError):
                C.check_soundfont(path)
    with pytest.raises(ValueError):
        C.check_soundfont(os.path.join(folder, "another.sf2"))


def test_fluidsynth_reads_only_its_soundfont_and_no_configuration(tmp_path):
    commands = []

    def run(cmd, **kw):
        commands.append(list(cmd))
        return subprocess.run(cmd, **kw)

    audio, labels, _, _ = C.render_soundfont("TimGM6mb", str(tmp_path), run=run)
    assert len(audio) > 20 and "kick" in labels
    (cmd,) = commands
    assert cmd[0] == "fluidsynth"
    fonts = [a for a in cmd if a.lower().endswith((".sf2", ".sf3", ".dls"))]
    assert fonts == [C.SOUNDFONTS["TimGM6mb"][0]]
    # -f: an empty command file instead of ~/.fluidsynth (which could load another soundfont)
    config = cmd[cmd.index("-f") + 1]
    assert os.path.getsize(config) == 0
    assert cmd[cmd.index("-R") + 1] == "0" and cmd[cmd.index("-C") + 1] == "0"


# ---------------------------------------------------------------- pieces

def test_sf2_presets_reads_the_phdr_chunk(tmp_path):
    def chunk(cid, data):
        return cid + struct.pack("<I", len(data)) + data + b"\0" * (len(data) & 1)

    def rec(name, prog, bank):
        return struct.pack("<20sHHHIII", name.encode(), prog, bank, 0, 0, 0, 0)

    phdr = rec("Piano", 0, 0) + rec("Standard", 0, 128) + rec("TR 808", 25, 128) + rec("EOP", 0, 0)
    body = b"sfbk" + chunk(b"LIST", b"INFO" + chunk(b"ifil", b"\2\0\1\0")) \
        + chunk(b"LIST", b"pdta" + chunk(b"phdr", phdr))
    path = tmp_path / "t.sf2"
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    assert C.sf2_presets(str(path)) == [(0, 0, "Piano"), (128, 0, "Standard"), (128, 25, "TR 808")]
    assert C.gm_kits(str(path)) == [(0, "standard"), (25, "tr808")]


def test_the_midi_song_plays_each_note_at_two_velocities():
    song, notes = C.gm_song([0, 25])
    assert song[:4] == b"MThd" and struct.unpack(">IHHH", song[4:14]) == (6, 0, 1, 480)
    assert song[14:18] == b"MTrk" and struct.unpack(">I", song[18:22])[0] == len(song) - 22
    assert len(notes) == 2 * len(C.GM_NOTES) * len(C.GM_VELOCITIES)
    times = np.array([t for *_, t in notes])
    assert np.diff(times).min() >= C.GM_SPACING_S - 1e-9
    assert bytes([0xC9, 25]) in song and bytes([0x99, 36, 100]) in song and bytes([0x99, 36, 60]) in song


def test_shape_cuts_at_the_onset_and_drops_silence():
    x = np.zeros(SR * 2)
    n = np.arange(SR)
    x[1000:1000 + SR] = np.exp(-n / 2000) * np.sin(n * 0.3)
    y = C.shape(x)
    # from the onset to the last sample within 60 dB of the peak (exp(-n/2000) = 1e-3)
    assert y is not None and 13000 < len(y) < 14000
    assert C.onset_index(y) <= 0.010 * SR and abs(C.onset_index(x) - 1000) < 10
    n = np.arange(SR * 2)
    long = C.shape(np.exp(-n / 20000) * np.sin(n * 0.3 + 1.0))  # a 1 s cut of 2 s
    assert len(long) == SR * C.MAX_SECONDS and long[-1] == 0 and np.abs(long[-10:]).max() < 0.01  # faded out
    # A slow swell keeps at most MAX_LEAD_S before its -30 dB point.
    swell = np.concatenate([np.linspace(0, 1, SR // 2) ** 4, np.ones(100)]) * np.sin(np.arange(SR // 2 + 100))
    z = C.shape(swell)
    assert C.onset_index(z) <= C.MAX_LEAD_S * SR + 1
    assert C.shape(np.zeros(SR)) is None and C.shape(np.full(SR, 1e-4)) is None
    assert C.shape(np.full(SR, np.nan)) is None


# ---------------------------------------------------------------- the cache

def test_the_cache_is_built_once_and_keyed(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    built = []

    def fake():
        built.append(1)
        return C._corpus("vocal_proxy", [np.ones(100, np.float32), np.arange(7, dtype=np.float32)],
                         ["kick", "snare"], ["a", "b"], ["x", "y"])

    monkeypatch.setitem(C.BUILDERS, "vocal_proxy", fake)
    first = C.load("vocal_proxy")
    again = C.load("vocal_proxy")
    assert len(built) == 1 and C.cache_path("vocal_proxy").parent == tmp_path / "livemappr" / "corpus-v1"
    assert [len(a) for a in again.audio] == [100, 7] and np.array_equal(again.audio[1], np.arange(7))
    assert again.labels.tolist() == first.labels.tolist() == ["kick", "snare"]
    assert again.sources.tolist() == ["a", "b"] and again.names.tolist() == ["x", "y"]
    old = C.cache_path("vocal_proxy")
    monkeypatch.setattr(C, "VERSION", C.VERSION + "-next")
    assert C.cache_path("vocal_proxy") != old
    C.load("vocal_proxy")
    assert len(built) == 2 and not old.exists()  # the old version is dropped
