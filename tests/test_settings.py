import pytest

from livemappr.audio.config import EngineConfig
from livemappr.errors import ConfigError, UsageError
from livemappr.session.settings import load

SECTIONS = {"engine": EngineConfig}


def write(tmp_path, text):
    p = tmp_path / "livemappr.toml"
    p.write_text(text)
    return p


def test_file_values_and_command_line_overrides(tmp_path):
    p = write(tmp_path, "[engine]\nblocksize = 256\nmax_voices = 16\nfade_ms = 3\n")
    s = load(p, SECTIONS, {"engine": {"blocksize": 64, "samplerate": None}})
    assert s["engine"].blocksize == 64 and s["engine"].max_voices == 16 and s["engine"].fade_ms == 3.0
    assert s["engine"].samplerate == 48000


def test_no_file_gives_defaults():
    assert load(None, SECTIONS)["engine"] == EngineConfig()


@pytest.mark.parametrize("text, message", [
    ("[engine]\nblocksize = 0\n", "engine.blocksize must be a whole number in 1..8192, got 0"),
    ("[engine]\nblocksize = \"big\"\n", "engine.blocksize must be a whole number, got 'big'"),
    ("[engine]\nblocksze = 64\n", "engine.blocksze must be one of the fields samplerate, blocksize"),
    ("[engin]\n", "unknown section [engin]; sections: [engine]"),
    ("engine = 3\n", "engine must be a section [engine], got a value"),
    ("[engine\n", "is not valid TOML"),
    ("[engine]\nsteal = \"newest\"\n", "engine.steal must be one of oldest, quietest, got 'newest'"),
])
def test_bad_files_are_one_line_errors_naming_field_value_and_allowed(tmp_path, text, message):
    with pytest.raises(UsageError) as e:
        load(write(tmp_path, text), SECTIONS)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_missing_file(tmp_path):
    with pytest.raises(UsageError, match="config file .*nope.toml does not exist"):
        load(tmp_path / "nope.toml", SECTIONS)


def test_bad_override_names_the_field():
    with pytest.raises(ConfigError, match="engine.samplerate must be a whole number in 8000..384000, got 5"):
        load(None, SECTIONS, {"engine": {"samplerate": 5}})


# -- issue 16: a config's values are type-checked whatever the field's type ----------------------


def _sections():
    from livemappr.session.session import SessionConfig

    return {"engine": EngineConfig, "session": SessionConfig}


@pytest.mark.parametrize("text, message", [
    ("[session]\ninput = 5\n", "session.input must be a string, got 5"),
    ("[session]\ndirectory = [1, 2]\n", "session.directory must be a string, got [1, 2]"),
    ("[session]\nmidi_in = true\n", "session.midi_in must be a string, got True"),
    ("[session]\nspeed = nan\n", "session.speed must be a finite number, got nan"),
    ("[session]\nspeed = inf\n", "session.speed must be a finite number, got inf"),
    ("[engine]\nfade_ms = " + "9" * 400 + "\n", "engine.fade_ms must be a finite number"),
])
def test_a_config_value_of_the_wrong_type_is_one_line(tmp_path, text, message):
    p = write(tmp_path, text)
    with pytest.raises(UsageError) as e:
        load(p, _sections())
    assert message in str(e.value) and str(p) in str(e.value) and len(str(e.value)) < 300


def test_a_config_with_100000_nested_arrays_or_a_5000_digit_number_is_one_line(tmp_path):
    for text in ("[session]\nclusters = " + "[" * 100_000 + "]" * 100_000 + "\n",
                 "[session]\nclusters = " + "9" * 5000 + "\n"):
        p = write(tmp_path, text)
        with pytest.raises(UsageError) as e:
            load(p, _sections())
        assert str(p) in str(e.value) and "\n" not in str(e.value)


def test_a_config_input_of_5_through_livemappr_live_is_one_line(tmp_path, capsys):
    from livemappr.cli import main

    p = write(tmp_path, "[session]\ninput = 5\n")
    assert main(["live", "--config", str(p), "--device", "none"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("livemappr: error: config file") and "session.input must be a string, got 5" in err
    assert "\n" not in err
