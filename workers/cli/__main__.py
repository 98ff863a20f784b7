"""`python -m workers.cli`: the `monolathe` script."""

from workers.cli import run

run()
