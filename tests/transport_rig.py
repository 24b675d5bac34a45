"""An engine rendered offline with a Transport on its trigger path, driven by
OSC datagrams as a client sends them (the looper and pattern tests)."""

from livemappr.control.feedback import message
from livemappr.control.osc import OscServer
from livemappr.control.transport import Transport
from livemappr.control.trigger import Trigger
from tests.test_time_quantize import offline_clock

CLIENT = ("127.0.0.1", 9000)


class TransportRig:
    """``e`` the engine, ``t`` its trigger (steady timing, offline clock), ``tr``
    the Transport (``transport_options``, exports to ``export_dir``), ``osc`` the
    server whose :meth:`send` handles a datagram from :data:`CLIENT`.
    Subclasses say how the engine renders (``run_to``)."""

    def __init__(self, engine, snapshot, export_dir, **transport_options):
        self.e = engine
        self.t = Trigger(self.e, snapshot, timing="steady")
        offline_clock(self.t)
        self.tr = Transport(self.t, export_dir=export_dir, **transport_options)
        self.osc = OscServer(self.t, host="127.0.0.1", port=0, transport=self.tr)

    def send(self, path, *args):
        """Handle one datagram; an export it asks for (on the background
        worker) has finished when this returns."""
        self.osc.handle(message(path, *args), CLIENT)
        assert self.tr.background.idle(30), "the export did not finish in 30 s"

    def close(self):
        self.osc.close()
        self.tr.background.close()
