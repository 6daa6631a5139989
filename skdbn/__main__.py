"""``python -m skdbn``: the command line, as the ``skdbn`` console script."""

from .compare import main

if __name__ == "__main__":
    raise SystemExit(main())
