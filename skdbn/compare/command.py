"""The ``compare`` command from settings to exit code: load, run, report, plot."""

import os
import re
import sys
import time
from pathlib import Path

from . import plot, report
from .data import InputError, load, one_line
from .progress import Progress, duration
from .run import configurations, plan, run_comparison


def compare(settings, *, stdout=None, stderr=None):
    """Run ``skdbn compare`` with ``settings``; return the exit code (0 or 130).

    Raises
    ------
    InputError
        For bad input (the command line reports it, exit code 2).
    """
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    started = time.perf_counter()
    X, y, dataset = load(settings)
    budget = plan(y, settings)
    figure = _figure_path(settings, dataset["name"], stderr)
    records, interrupted = _collect(settings, budget, X, y, stderr)
    if interrupted:
        n_fits = len(configurations()) * settings.seeds
        print(
            f"skdbn compare: interrupted after {len(records)} of {n_fits} fits; the rows "
            "finished so far follow (no figure)",
            file=stderr,
        )
        figure = None
    elif figure is not None:
        title = " | ".join(report.header(dataset, settings, budget).splitlines()[:2])
        figure = plot.plot_comparison(records, figure, title=title)
    seconds = time.perf_counter() - started
    if settings.json:
        document = report.document(dataset, settings, budget, records, figure, interrupted, seconds)
        print(document, file=stdout)
    else:
        print(report.text(dataset, settings, budget, records, figure), file=stdout)
    if not settings.quiet:
        print(f"skdbn compare: {len(records)} fits in {duration(seconds)}", file=stderr)
    return 130 if interrupted else 0


def _collect(settings, budget, X, y, stderr):
    """The records of the fits, and whether Ctrl-C cut the run short."""
    progress = None
    if not settings.quiet:
        n_fits = len(configurations()) * settings.seeds
        progress = Progress(stderr, n_fits, settings.seeds, budget.epochs)
    records = []
    try:
        for record in run_comparison(X, y, settings, observer=progress):
            records.append(record)
    except KeyboardInterrupt:
        return records, True
    finally:
        if progress is not None:
            progress.close()
    return records, False


def _figure_path(settings, name, stderr):
    """The figure's path (its folder made), or None: ``--no-plot`` or no matplotlib."""
    if settings.no_plot:
        return None
    if not plot.available():
        print(
            "skdbn compare: matplotlib is not installed, so no figure will be saved; "
            'pip install "skdbn[plot]" installs it',
            file=stderr,
        )
        return None
    folder = Path(settings.output)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--output {folder}: cannot create the folder ({one_line(exc)})") from None
    if not os.access(folder, os.W_OK):
        raise InputError(f"--output {folder}: the folder is not writable")
    return folder / f"compare_{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
