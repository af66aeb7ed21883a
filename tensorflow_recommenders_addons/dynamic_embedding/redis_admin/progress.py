"""Progress of a long tfra-redis command, and Ctrl-C as a request to stop.

On a terminal a rich progress bar (rows done, rows/s, time left) is drawn on
stderr; elsewhere (logs, pipes) a line is written every few seconds. Ctrl-C
does not kill the command: it asks the C++ side to stop at its next safe
point (progress.h), which leaves the data consistent; the command then
fails with CANCELLED and can be run again.
"""

import signal
import sys
import time

# Lines written when stderr is not a terminal: at most one per interval.
_LINE_INTERVAL_S = 2.0


class Progress:
  """Context manager; call it as progress(done, total) -> stop requested."""

  def __init__(self, what, unit="rows", enabled=True, stream=None):
    self.what, self.unit, self.enabled = what, unit, enabled
    self.stream = stream or sys.stderr
    self.interrupted = False
    self._bar = self._task = self._previous_handler = None
    self._last_line = 0.0
    self._started = time.monotonic()
    self._latest = self._written = None  # (done, total) seen and written

  def __enter__(self):
    self._previous_handler = signal.signal(signal.SIGINT, self._on_interrupt)
    if self.enabled and self.stream.isatty():
      self._start_bar()
    return self

  def __exit__(self, *exc_info):
    signal.signal(signal.SIGINT, self._previous_handler)
    if self._bar is not None:
      self._bar.stop()
    elif self._written != self._latest:
      self._write_line(*self._latest)  # where it ended

  def _on_interrupt(self, *_):
    self.interrupted = True

  def _start_bar(self):
    # Imported here: `tables` and other short commands never pay for rich.
    from rich import progress as rich_progress  # pylint: disable=g-import-not-at-top
    from rich.console import Console  # pylint: disable=g-import-not-at-top
    unit = self.unit

    class Rate(rich_progress.ProgressColumn):

      def render(self, task):
        speed = task.finished_speed or task.speed
        return rich_progress.Text(
            "%s %s/s" % (format(int(speed), ",") if speed else "-", unit))

    self._bar = rich_progress.Progress(
        rich_progress.TextColumn("{task.description}"),
        rich_progress.BarColumn(), rich_progress.MofNCompleteColumn(), Rate(),
        rich_progress.TimeRemainingColumn(),
        console=Console(file=self.stream), transient=False)
    self._bar.start()
    self._task = self._bar.add_task(self.what, total=None)

  def __call__(self, done, total):
    # Totals are estimates taken at the start (rows checked twice while
    # re-bucketing, rows written meanwhile): never show more than 100%.
    total = max(total, done)
    self._latest = (done, total)
    if self._bar is not None:
      self._bar.update(self._task, completed=done, total=total or None)
    elif self.enabled and time.monotonic() - self._last_line >= _LINE_INTERVAL_S:
      self._write_line(done, total)
    return self.interrupted

  def _write_line(self, done, total):
    if not self.enabled:
      return
    self._written = (done, total)
    self._last_line = time.monotonic()
    rate = done / max(self._last_line - self._started, 1e-9)
    left = " ETA %ds" % ((total - done) / rate) if total and rate else ""
    share = " (%d%%)" % (100 * done // total) if total else ""
    self.stream.write("%s: %s/%s %s%s, %s %s/s%s\n" %
                      (self.what, format(done, ","), format(total, ","),
                       self.unit, share, format(int(rate), ","), self.unit,
                       left))
    self.stream.flush()
