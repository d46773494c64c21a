"""A one-line progress display with an estimate of the time left, shown on a terminal only.

On a terminal the line is redrawn in place (at most every `interval` seconds) and cleared at the
end; in a log (stderr redirected, cron, CI) nothing is written, so logs stay line by line.
TIERING_PROGRESS=always or never overrides the terminal check.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import TextIO

OVERRIDE_VARIABLE = "TIERING_PROGRESS"
CLEAR_LINE = "\r\033[K"
BAR_WIDTH = 24


def shown_on(stream: TextIO) -> bool:
    """Whether a progress line belongs on `stream`: a terminal, unless overridden."""
    override = os.environ.get(OVERRIDE_VARIABLE, "").lower()
    if override in ("always", "never"):
        return override == "always"
    return stream.isatty() and os.environ.get("TERM", "") != "dumb"


def duration(seconds: float) -> str:
    """`seconds` as 42s, 3m05s or 1h02m."""
    whole = max(round(seconds), 0)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


class Progress:
    """Progress of `total` units of work (rows, nodes, weighted steps) under a label."""

    def __init__(
        self,
        label: str,
        total: float,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        interval: float = 0.2,
    ) -> None:
        self.label = label
        self.total = total
        self.done = 0.0
        self.stream = sys.stderr if stream is None else stream
        self.enabled = shown_on(self.stream)
        self._clock = clock
        self._interval = interval
        self._started = clock()
        self._drawn_at: float | None = None
        self._detail = ""

    def line(self) -> str:
        """The progress line: label, bar, percentage, elapsed time and the estimate left."""
        share = min(self.done / self.total, 1.0) if self.total > 0 else 0.0
        filled = round(share * BAR_WIDTH)
        elapsed = self._clock() - self._started
        left = elapsed * (1 - share) / share if share > 0 else None
        estimate = f", about {duration(left)} left" if left is not None and share < 1 else ""
        detail = f"  {self._detail}" if self._detail else ""
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        return f"{self.label} [{bar}] {share:4.0%} in {duration(elapsed)}{estimate}{detail}"

    def update(self, done: float, detail: str = "") -> None:
        """Set the units done so far (and a short note on the current step)."""
        self.done = done
        self._detail = detail
        now = self._clock()
        if self._drawn_at is None or now - self._drawn_at >= self._interval:
            self._draw(now)

    def advance(self, units: float = 1.0, detail: str = "") -> None:
        """Add `units` to the work done."""
        self.update(self.done + units, detail)

    def write_above(self, text: str, out: TextIO | None = None) -> None:
        """Write `text` (whole lines) to `out` (default: the progress stream) above the progress
        line, which stays at the bottom of the terminal."""
        drawn = self.enabled and self._drawn_at is not None
        if drawn:
            self.stream.write(CLEAR_LINE)
            self.stream.flush()
        target = self.stream if out is None else out
        target.write(text)
        target.flush()
        if drawn:
            self.stream.write(self.line())
            self.stream.flush()

    def close(self) -> None:
        """Clear the progress line."""
        if self.enabled and self._drawn_at is not None:
            self.stream.write(CLEAR_LINE)
            self.stream.flush()
        self._drawn_at = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _draw(self, now: float) -> None:
        if not self.enabled:
            return
        self.stream.write(CLEAR_LINE + self.line())
        self.stream.flush()
        self._drawn_at = now
