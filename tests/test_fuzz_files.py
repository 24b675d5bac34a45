"""Fuzz targets for the readers of users' files (issue 16): map.json and the config.

Whatever the bytes, only the documented one-line errors escape
(:class:`~livemappr.files.mapfile.MapFileError`, a
:class:`~livemappr.errors.UsageError` from a config). A bounded number of
cases, the same every run (derandomized), so CI runs them.
"""

import json
import pathlib
import tempfile

from hypothesis import HealthCheck, given, settings, strategies as st

from livemappr.audio.config import EngineConfig
from livemappr.errors import UsageError
from livemappr.files import mapfile
from livemappr.session import settings as config
from livemappr.session.session import SessionConfig

FUZZ = settings(max_examples=200, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
_DIR = pathlib.Path(tempfile.mkdtemp(prefix="livemappr-fuzz-"))

# numbers as an attacker writes them: huge, tiny, long, not numbers at all
numbers = st.one_of(
    st.integers(), st.integers(min_value=-10 ** 60, max_value=10 ** 60), st.floats(allow_nan=True),
    st.sampled_from(["1e308", "1e400", "-1e400", "NaN", "Infinity", "-0", "9" * 5000, "1" + "0" * 300,
                     "0.000000000000000000000000000000000000000000000001", "1E+2", "-1"]),
)


def raw(value):
    """A JSON token for ``value`` (strings among the numbers are written as they are)."""
    return value if isinstance(value, str) else json.dumps(value)


values = st.recursive(
    st.one_of(numbers.map(raw), st.text(max_size=20).map(json.dumps), st.sampled_from(["true", "false", "null"])),
    lambda inner: st.one_of(st.lists(inner, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
                            st.dictionaries(st.text(max_size=8), inner, max_size=4).map(
                                lambda d: "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in d.items()) + "}")),
    max_leaves=10)
SNIPPET_KEYS = ["id", "source", "start", "end", "x", "y", "cluster"]
CLUSTER_KEYS = ["id", "key", "note", "size", "name"]


@st.composite
def map_texts(draw):
    """Mostly a map.json's shape with hostile values; sometimes deep nesting or a cut or garbled file."""
    kind = draw(st.sampled_from(["shaped", "shaped", "shaped", "nested", "cut", "bytes"]))
    if kind == "nested":
        n = draw(st.integers(1, 200_000))
        return draw(st.sampled_from(["[", "{\"a\": "])) * n + "1" + "]" * draw(st.integers(0, n))

    def obj(keys):
        good = {"source": '"a.wav"', "key": '"a"', "name": '"kick"'}
        d = {k: draw(st.one_of(numbers.map(raw), values, st.just(good.get(k, "0")))) for k in keys
             if draw(st.booleans()) or k in ("id", "start")}
        return "{" + ", ".join(f'"{k}": {v}' for k, v in d.items()) + "}"

    text = ('{"format": "livemappr-map", "version": ' + draw(st.sampled_from(["1", "1.0", "2", "true"]))
            + ', "sample_rate": ' + draw(st.one_of(numbers.map(raw), st.just("48000")))
            + ', "snippets": [' + ", ".join(obj(SNIPPET_KEYS) for _ in range(draw(st.integers(0, 3))))
            + '], "clusters": [' + ", ".join(obj(CLUSTER_KEYS) for _ in range(draw(st.integers(0, 3)))) + "]}")
    if kind == "cut":
        return text[:draw(st.integers(0, len(text)))]
    if kind == "bytes":
        data = bytearray(text.encode())
        for _ in range(draw(st.integers(1, 5))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(data)
    return text


@FUZZ
@given(map_texts())
def test_map_json_reader_raises_only_map_file_errors(text):
    path = _DIR / "map.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    try:
        m = mapfile.read(path)
    except mapfile.MapFileError as e:
        assert "\n" not in str(e) and len(str(e)) < 1000
        return
    assert 1000 <= m.sample_rate <= 768000
    for s in m.snippets:
        assert 0 <= s.start <= s.end <= mapfile.MAX_SECONDS and -1 <= s.cluster <= mapfile.MAX_CLUSTER_ID


SECTIONS = {"engine": EngineConfig, "session": SessionConfig}
FIELDS = {"engine": [f for f in EngineConfig.__dataclass_fields__], "session": list(SessionConfig.__dataclass_fields__)}
toml_values = st.one_of(
    st.integers().map(str), st.floats().map(lambda f: {"inf": "inf", "-inf": "-inf", "nan": "nan"}.get(repr(f), repr(f))),
    st.text(max_size=20).map(json.dumps), st.sampled_from(["true", "false", "[1, 2]", "{a = 1}", "9" * 5000,
                                                          "[" * 5000 + "]" * 5000, "1979-05-27", "0x10", "'x'"]),
)


@st.composite
def config_texts(draw):
    lines = []
    for section in draw(st.lists(st.sampled_from(["engine", "session", "other"]), max_size=3, unique=True)):
        lines.append(f"[{section}]")
        for field in draw(st.lists(st.sampled_from(FIELDS.get(section, ["x"]) + ["nope"]), max_size=4, unique=True)):
            lines.append(f"{field} = {draw(toml_values)}")
    text = "\n".join(lines) + "\n"
    if draw(st.integers(0, 4)) == 0:  # a garbled file
        data = bytearray(text.encode())
        for _ in range(draw(st.integers(1, 4))):
            data[draw(st.integers(0, max(0, len(data) - 1)))] = draw(st.integers(0, 255))
        return bytes(data)
    return text


@FUZZ
@given(config_texts())
def test_config_reader_raises_only_usage_errors(text):
    path = _DIR / "livemappr.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    try:
        config.load(path, SECTIONS)
    except UsageError as e:
        assert "\n" not in str(e)
