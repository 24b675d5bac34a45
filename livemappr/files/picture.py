"""A picture of a map: points coloured by cluster, as a PNG.

Runs on: the caller's thread (``map``, the session's writer).

Written with numpy and zlib (PNG is a few chunks of deflated rows), so no
plotting library is needed on a Pi: the picture is a scatter of discs on a
dark ground, one colour per cluster, with the cluster's key letter drawn at
its centre in a tiny built-in pixel font.
"""

import struct
import zlib

import numpy as np

def _palette(n=26):
    """``n`` distinct bright colours: hues a golden-ratio step apart, in two
    lightness bands so neighbours in the sequence differ in both."""
    out = []
    for i in range(n):
        h = (i * 0.618033988749895) % 1.0
        v = 0.95 if i % 2 == 0 else 0.75
        k = np.arange(3)
        rgb = v * (1 - 0.75 * np.clip(np.abs((h * 6 + np.array([0, 4, 2])) % 6 - 3) - 1, 0, 1)[k])
        out.append(tuple(int(255 * c) for c in rgb))
    return np.array(out, np.uint8)


# One colour per cluster id up to 26 (keys a-z), cycled beyond; noise (-1) is grey.
PALETTE = _palette(26)
BACKGROUND = (18, 18, 24)

# 3x5 glyphs for a-z (rows top to bottom, 3 bits each).
_GLYPHS = dict(zip("abcdefghijklmnopqrstuvwxyz", [
    "010101111101101", "110101110101110", "011100100100011", "110101101101110", "111100110100111",
    "111100110100100", "011100101101011", "101101111101101", "111010010010111", "001001001101010",
    "101101110101101", "100100100100111", "101111111101101", "110101101101101", "010101101101010",
    "110101110100100", "010101101110011", "110101110101101", "011100010001110", "111010010010010",
    "101101101101111", "101101101101010", "101101111111101", "101101010101101", "101101010010010",
    "111001010100111"]))


def colours_for(cluster_ids):
    """RGB of each point: ndarray of shape (n, 3), uint8."""
    ids = np.asarray(cluster_ids)
    out = PALETTE[np.where(ids >= 0, ids, 0) % len(PALETTE)].copy()
    out[ids < 0] = (120, 120, 120)
    return out


def render(positions, cluster_ids, labels=None, size=800, radius=4):
    """Rasterise a map.

    Parameters
    ----------
    positions : ndarray of shape (n, 2)
    cluster_ids : ndarray of shape (n,)
    labels : dict of int to str, optional
        Letter drawn at each cluster's centre.

    Returns
    -------
    ndarray of shape (size, size, 3), uint8
    """
    img = np.empty((size, size, 3), np.uint8)
    img[:] = BACKGROUND
    P = np.asarray(positions, np.float64).reshape(-1, 2)
    if P.shape[0] == 0:
        return img
    lo, hi = P.min(axis=0), P.max(axis=0)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    margin = 4 * radius + 8
    pix = margin + (P - lo) / span * (size - 1 - 2 * margin)
    cols = colours_for(cluster_ids)
    yy, xx = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    disc = xx ** 2 + yy ** 2 <= radius ** 2
    # Every point's disc at once (a session redraws thousands every 10 s);
    # where discs overlap, one of their colours is drawn.
    p = pix.astype(np.intp)
    ys = size - 1 - (p[:, 1:2] + yy[disc])
    xs = p[:, 0:1] + xx[disc]
    img.reshape(-1, 3)[(ys * size + xs).ravel()] = np.repeat(cols, disc.sum(), axis=0)
    for cid, letter in (labels or {}).items():
        members = np.asarray(cluster_ids) == cid
        if members.any() and letter[:1].lower() in _GLYPHS:
            cx, cy = pix[members].mean(axis=0).astype(int)
            _letter(img, letter[:1].lower(), cx, size - 1 - cy, scale=3)
    return img


def _letter(img, ch, cx, cy, scale):
    bits = _GLYPHS[ch]
    for r in range(5):
        for c in range(3):
            if bits[r * 3 + c] == "1":
                y0, x0 = cy - 7 + r * scale, cx - 4 + c * scale
                img[max(y0, 0):max(y0 + scale, 0), max(x0, 0):max(x0 + scale, 0)] = 255


def write_png(path, img):
    """Write an (h, w, 3) uint8 image as an RGB PNG."""
    img = np.ascontiguousarray(img, np.uint8)
    h, w, _ = img.shape
    raw = np.concatenate([np.zeros((h, 1), np.uint8), img.reshape(h, w * 3)], axis=1).tobytes()

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)
    return path
