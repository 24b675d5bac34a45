"""The web view: the live map on a phone or laptop, and the offline map page.

Runs on: :class:`WebView` starts its own thread (``livemappr-web``);
:func:`write_offline_html` runs on the caller's.
"""

from livemappr.web.page import write_offline_html
from livemappr.web.server import WebView

__all__ = ["WebView", "write_offline_html"]
