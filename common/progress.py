"""The progress bar of the long operator commands (seeding, imports, training, rotation).

On a terminal it is redrawn in place. Written to a log or a pipe, it writes a line only at
each tenth of the way and at the milestones its caller marks, so a log stays short.
"""

from django.core.management.base import OutputWrapper


class ProgressBar:
    width = 30

    def __init__(self, out: OutputWrapper, total: int = 0, *, unit: str = "") -> None:
        self.out = out
        self.total = total
        self.unit = unit  # after the count when no label is given ("rows")
        self.done = 0
        self.live = out.isatty()
        self._tenth_shown = -1
        self._open_line = False

    def __call__(self, done: int, total: int) -> None:
        """The `progress(done, total)` callback that services accept."""
        self.done, self.total = done, total
        self._draw("", milestone=False)

    def advance(
        self, count: int = 1, label: str = "", *, milestone: bool = False
    ) -> None:
        self.done += count
        self._draw(label, milestone=milestone)

    def finish(self) -> None:
        """Ends the line a terminal's bar was drawn on (call it on errors too)."""
        if self._open_line:
            self.out.write("")
            self._open_line = False

    def _draw(self, label: str, *, milestone: bool) -> None:
        tenth = 10 * self.done // max(self.total, 1)
        if not self.live and not milestone and tenth == self._tenth_shown:
            return
        self._tenth_shown = tenth
        filled = min(self.width, self.width * self.done // max(self.total, 1))
        bar = "#" * filled + "-" * (self.width - filled)
        line = f"[{bar}] {self.done}/{self.total} {label or self.unit}".rstrip()
        if self.live:
            self.out.write(f"\r{line:<70}", ending="")
            self.out.flush()
            self._open_line = True
            if self.done >= self.total:
                self.finish()
        else:
            self.out.write(line)
