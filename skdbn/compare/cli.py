"""The ``skdbn`` command line: parse the arguments, map errors to exit codes.

The work itself is :func:`skdbn.compare.command.compare`; the options come
from the fields of :class:`~skdbn.compare.Settings`.
"""

import argparse
import sys

from .command import compare
from .data import InputError
from .helptext import DESCRIPTION, epilog
from .settings import DEFAULTS, add_options, from_arguments


class _ParserExit(Exception):
    """Raised instead of ``sys.exit`` by the argument parser (``--help``)."""

    def __init__(self, status):
        super().__init__(status)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """An argument parser that reports errors on one line and never exits."""

    def error(self, message):
        raise InputError(f"{self.prog}: error: {message} (see {self.prog} --help)")

    def exit(self, status=0, message=None):
        if message:
            sys.stderr.write(message)
        raise _ParserExit(status)


def build_parser(defaults=DEFAULTS):
    """The parser of ``skdbn``, its ``compare`` options read from ``defaults``."""
    parser = _Parser(prog="skdbn", description="Deep Belief Networks for scikit-learn.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    command = commands.add_parser(
        "compare",
        help="compare zero/random/xavier/he init with and without pretraining",
        description=DESCRIPTION,
        epilog=epilog(defaults),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_options(command, defaults)
    return parser


def main(argv=None):
    """Run the ``skdbn`` command line; return its exit code.

    ``skdbn compare`` trains a :class:`~skdbn.DBNClassifier` for each
    ``init`` with and without pretraining over several seeds, prints a table
    (or JSON with ``--json``) and saves a figure; ``skdbn compare --help``
    explains every option and the method.

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments after the program name; None means ``sys.argv[1:]``.

    Returns
    -------
    status : int
        0 on success, 2 for a bad argument or input file (reported on one
        line on stderr), 130 when interrupted by Ctrl-C (after printing the
        rows finished so far).

    Examples
    --------
    >>> from skdbn.compare import main
    >>> main(["compare", "--hidden", "8", "--epochs", "2", "--pretrain-epochs", "1",
    ...       "--seeds", "1", "--max-samples", "200", "--no-plot", "--quiet"])
    skdbn compare: digits, 200 samples x 64 features, 10 classes
    ...
    init    pretraining  seeds  test accuracy ...
    zero    no               1  ...
    0
    """
    try:
        args = build_parser().parse_args(argv)
        return compare(from_arguments(args))
    except _ParserExit as exc:
        return exc.status
    except InputError as exc:
        message = str(exc)
        if not message.startswith("skdbn"):
            message = f"skdbn compare: error: {message}"
        print(message, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("skdbn: interrupted", file=sys.stderr)
        return 130
