"""tokenlint: find the links that let a stolen service account token walk to cluster admin."""

from __future__ import annotations

__version__ = "0.1.0"
