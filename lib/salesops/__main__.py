"""``python -m salesops``: the ``salesops`` command (``salesops.runner.cli``)."""

from salesops.runner.cli import command

if __name__ == "__main__":
    command()
