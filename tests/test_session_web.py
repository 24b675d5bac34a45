"""A live session's map view answers the names the performer configured, and no others."""

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
                              web_names="stage.test, pi.stage.test", web_clients=4), log=lambda m: None)
    s.start()
    try:
        assert s.web.max_clients == 4
        assert _status(port, "stage.test") == 200
        assert _status(port, "pi.stage.test") == 200
        assert _status(port, "localhost") == 200
        assert _status(port, "evil.example") == 403
    finally:
        s.stop()


@pytest.mark.parametrize("field, value", [("web_clients", 0), ("web_clients", "5"), ("web_names", "a b"),
                                          ("web_names", ",,"), ("web_names", 5)])
def test_bad_web_settings_name_the_field(field, value):
    with pytest.raises(ConfigError, match=f"session.{field}"):
        SessionConfig(**{field: value})
