"""``python -m salesops``: the ``salesops`` command (``salesops.runner.cli``)."""

import sys

from salesops.runner.cli import main

if __name__ == "__main__":
    sys.exit(main())
