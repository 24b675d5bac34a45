"""livemappr: a real-time sampler that maps what you play and lets you play the map."""

__version__ = "0.1.0"
