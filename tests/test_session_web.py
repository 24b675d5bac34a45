"""A live session's settings reach its parts: the map view answers the names the
performer configured and no others; the slicer gates at the configured level."""

import http.client
import socket

import pytest

from livemappr.audio.config import EngineConfig
from livemappr.errors import ConfigError
from livemappr.session.session import Session, SessionConfig


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status(port, host):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", "/", headers={"Host": f"{host}:{port}"})
        return c.getresponse().status
    finally:
        c.close()


def test_web_names_from_the_session_config_are_answered_and_others_refused():
    port = _free_port()
    s = Session(EngineConfig(samplerate=48000, blocksize=256),
                SessionConfig(device="none", osc_port=0, midi=False, web_port=port, web_host="127.0.0.1",
                              web_names="stage.test, pi.stage.test", web_clients=4, quiet_db=16),
                log=lambda m: None)
    s.start()
    try:
        assert s.web.max_clients == 4
        # and the session's slicer gates mouth noises at the configured level
        assert s.analysis.slicer.config.quiet_db == 16 and s.analysis.slicer.config.quiet_gate
        assert _status(port, "stage.test") == 200
        assert _status(port, "pi.stage.test") == 200
        assert _status(port, "localhost") == 200
        assert _status(port, "evil.example") == 403
    finally:
        s.stop()


@pytest.mark.parametrize("field, value", [("web_clients", 0), ("web_clients", "5"), ("web_names", "a b"),
                                          ("web_names", ",,"), ("web_names", 5), ("quiet_db", -1),
                                          ("quiet_db", float("nan")), ("quiet_db", "10")])
def test_bad_web_settings_name_the_field(field, value):
    with pytest.raises(ConfigError, match=f"session.{field}"):
        SessionConfig(**{field: value})


def test_quiet_db_0_turns_the_gate_off_and_a_config_file_sets_it(tmp_path):
    from livemappr.session import settings
    from livemappr.session.session import onset_config

    assert not onset_config(48000, SessionConfig(quiet_db=0)).quiet_gate
    assert onset_config(48000, SessionConfig(slicing="grid")) is None
    cfg = tmp_path / "live.toml"
    cfg.write_text("[session]\nquiet_db = 16\n")
    loaded = settings.load(str(cfg), {"engine": EngineConfig, "session": SessionConfig},
                           {"engine": {}, "session": {"quiet_db": None}})
    assert loaded["session"].quiet_db == 16
    assert onset_config(48000, loaded["session"]).quiet_db == 16
