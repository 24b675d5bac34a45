"""map.png: every point drawn as a disc in its cluster's colour."""

import numpy as np

from livemappr.files import picture


def reference(positions, cluster_ids, size, radius):
    """The plain way, one disc after the other; also how many discs cover each pixel."""
    img = np.empty((size, size, 3), np.uint8)
    img[:] = picture.BACKGROUND
    count = np.zeros((size, size), int)
    P = np.asarray(positions, np.float64)
    lo, hi = P.min(axis=0), P.max(axis=0)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    margin = 4 * radius + 8
    pix = (margin + (P - lo) / span * (size - 1 - 2 * margin)).astype(int)
    yy, xx = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    disc = xx ** 2 + yy ** 2 <= radius ** 2
    for (x, y), c in zip(pix, picture.colours_for(cluster_ids)):
        img[size - 1 - (y + yy[disc]), x + xx[disc]] = c
        count[size - 1 - (y + yy[disc]), x + xx[disc]] += 1
    return img, count


def test_the_discs_cover_the_pixels_the_plain_drawing_covers_in_their_colours():
    rng = np.random.default_rng(0)
    P = rng.normal(size=(3000, 2)) * [30, 10]  # crowded: many discs overlap
    ids = rng.integers(-1, 20, 3000)
    img = picture.render(P, ids, size=400, radius=3)
    ref, count = reference(P, ids, 400, 3)
    assert (count > 1).sum() > 1000 and (count == 1).sum() > 1000
    np.testing.assert_array_equal(img[count <= 1], ref[count <= 1])  # background and lone discs exactly
    palette = {tuple(c) for c in picture.colours_for(ids)}
    assert {tuple(c) for c in img[count > 1]} <= palette  # overlaps: one of the colours there


def test_a_point_is_a_disc_of_its_colour_and_the_rest_is_background():
    img = picture.render(np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([2, 5]), size=100, radius=4)
    for c in picture.colours_for([2, 5]):
        assert (img == c).all(axis=2).sum() == 49  # the 49 pixels of a radius-4 disc
    assert (img == picture.BACKGROUND).all(axis=2).sum() == 100 * 100 - 2 * 49
    empty = picture.render(np.zeros((0, 2)), np.zeros(0, int), size=50)
    assert (empty == picture.BACKGROUND).all()
