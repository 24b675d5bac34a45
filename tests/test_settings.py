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
