"""Progress of ``skdbn compare`` on a stream: an observer of the run."""

import shutil
import time

from .run import label


class Progress:
    """Progress on a stream: a one-line bar on a terminal, plain lines otherwise.

    An observer for :func:`~skdbn.compare.run_comparison`. Plain lines: one
    per finished fit, and one per epoch when at least ``interval`` seconds
    passed since the last line (so long runs show life).

    Parameters
    ----------
    stream : file-like
        Where to write (``sys.stderr`` for the command line).
    n_fits, n_seeds, n_epochs : int
        Totals shown in each line.
    tty : bool or None, default=None
        Draw a bar; None asks ``stream.isatty()``.
    interval : float, default=5.0
        Seconds between two plain per-epoch lines.

    Examples
    --------
    >>> import io
    >>> from skdbn.compare.progress import Progress
    >>> stream = io.StringIO()
    >>> progress = Progress(stream, n_fits=1, n_seeds=1, n_epochs=2, tty=False)
    >>> progress.start(0, "he", False, 0)
    >>> progress.finish({"diverged": False, "accuracy": 0.9, "fit_time": 1.0,
    ...                  "loss_curve": [0.5, 0.4]})
    >>> print(stream.getvalue(), end="")
    [1/1] he, seed 1/1, epoch 2/2: test accuracy 0.900, 1.0 s
    """

    def __init__(self, stream, n_fits, n_seeds, n_epochs, *, tty=None, interval=5.0):
        self.stream, self.n_fits, self.n_seeds = stream, n_fits, n_seeds
        self.n_epochs = n_epochs
        self.tty = stream.isatty() if tty is None else tty
        self.interval = interval
        self.started = self.last_line = time.perf_counter()
        self.width = 0
        self.index, self.label = 0, ""

    def start(self, index, init, pretrain, seed):
        self.index = index
        self.label = f"{label(init, pretrain)}, seed {seed + 1}/{self.n_seeds}"
        self._show(0, "pretraining..." if pretrain else "")

    def pretraining(self, layer, n_layers, epoch, n_epochs):
        """After each epoch of each pretrained layer (with scikit-learn's callbacks)."""
        self._show(0, f"pretraining layer {layer}/{n_layers}, epoch {epoch}/{n_epochs}")

    def epoch(self, epoch, loss):
        self._show(epoch, f"loss {loss:.4f}")

    def finish(self, record):
        done = "diverged" if record["diverged"] else f"test accuracy {record['accuracy']:.3f}"
        message = f"{done}, {record['fit_time']:.1f} s"
        if self.tty:
            self._show(self.n_epochs, message)
        else:
            self._line(f"{self._where(len(record['loss_curve']))}: {message}")

    def _where(self, epoch):
        return (
            f"[{self.index + 1:>{len(str(self.n_fits))}}/{self.n_fits}] {self.label}, "
            f"epoch {epoch}/{self.n_epochs}"
        )

    def _show(self, epoch, message):
        if not self.tty:
            if epoch and time.perf_counter() - self.last_line >= self.interval:
                self._line(f"{self._where(epoch)}: {message}")
            return
        done = (self.index + epoch / self.n_epochs) / self.n_fits
        elapsed = time.perf_counter() - self.started
        left = f" ~{duration(elapsed / done * (1 - done))} left" if done > 0.02 else ""
        bar = "#" * int(20 * done) + "-" * (20 - int(20 * done))
        text = f"[{bar}] {100 * done:3.0f}% {duration(elapsed)}{left}"
        text += f" | {self._where(epoch)}"
        text += f" | {message}" if message else ""
        text = text[: shutil.get_terminal_size().columns - 1]
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = len(text)

    def _line(self, text):
        self.stream.write(text + "\n")
        self.stream.flush()
        self.last_line = time.perf_counter()

    def close(self):
        """End the bar's line, so what follows starts on a fresh one."""
        if self.tty and self.width:
            self.stream.write("\n")
            self.stream.flush()
            self.width = 0


def duration(seconds):
    """``seconds`` as ``"42 s"`` or ``"m:ss"``."""
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds} s"
