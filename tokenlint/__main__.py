"""``python -m tokenlint``."""

from tokenlint.cli import run

run()
