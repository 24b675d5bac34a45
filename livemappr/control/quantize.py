"""Quantised triggers: a hit starts on the next grid frame of the tempo clock.

Runs on: control threads (the trigger path calls :meth:`Quantizer.snap`).

The grid is 1/division of a bar: 4 is quarter notes, 8 eighths, 16
sixteenths; divisions that are a multiple of 3 are triplets (6: quarter
triplets, 12: eighth triplets, 24: sixteenth triplets); 0 is off. Names are
accepted too ("1/16", "1/8t", "off"). Swing delays every second grid step,
as drum machines do: 50% is straight, 66% a triplet feel, 75% the most.

A live hit cannot move into the past, so it goes to the first grid frame at
or after the earliest frame the audio thread can still honour; the command
carries that exact frame, so the sound starts exactly on the grid at any
block size.
"""

from fractions import Fraction

from livemappr.validate import number, whole

NAMES = {"off": 0, "1/4": 4, "1/8": 8, "1/16": 16, "1/32": 32, "1/4t": 6, "1/8t": 12, "1/16t": 24, "1/32t": 48}
MAX_DIVISION = 64
MIN_SWING, MAX_SWING = 50.0, 75.0


def parse_division(value):
    """A division from a name in :data:`NAMES` or a whole number 0..64."""
    if isinstance(value, str):
        if value in NAMES:
            return NAMES[value]
        raise ValueError(f"quantize must be one of {', '.join(NAMES)} or 0..{MAX_DIVISION}, got {value!r}")
    return whole("quantize division", value, 0, MAX_DIVISION)


class Quantizer:
    """Where a hit lands on the grid of a :class:`~livemappr.control.tempo.TempoClock`.

    Parameters
    ----------
    clock : TempoClock
    division : int or str, default 0 (off)
    swing : float, default 50
        Percent, 50..75.
    """

    def __init__(self, clock, division=0, swing=MIN_SWING):
        self.clock = clock
        self.division = parse_division(division)
        self.swing = number("swing", swing, MIN_SWING, MAX_SWING)

    def set_division(self, value):
        self.division = parse_division(value)

    def set_swing(self, percent):
        self.swing = number("swing", percent, MIN_SWING, MAX_SWING)

    @property
    def active(self):
        """Quantising: a division is set and the tempo clock runs."""
        return self.division > 0 and self.clock.running

    def step_beats(self):
        """Beats between grid points (a Fraction)."""
        return Fraction(self.clock.beats_per_bar, self.division)

    def grid(self):
        """``(period_beats, offsets)``: the grid repeats every period, with points at offsets."""
        step = self.step_beats()
        if self.swing == MIN_SWING or self.division % 3 == 0:
            return step, (Fraction(0),)  # triplets are not swung
        late = Fraction(self.swing).limit_denominator(1000) / 100 * 2 * step
        return 2 * step, (Fraction(0), late)

    def snap(self, frame):
        """The first grid frame at or after ``frame``; ``frame`` itself when not active."""
        if not self.active:
            return int(frame)
        period, offsets = self.grid()
        return self.clock.next_frame(frame, period, offsets)

    def grid_frames(self, first, last):
        """Every grid frame in ``[first, last)`` (for tests and the pattern looper)."""
        out = []
        f = self.snap(first)
        while f < last:
            out.append(f)
            f = self.snap(f + 1)
        return out
