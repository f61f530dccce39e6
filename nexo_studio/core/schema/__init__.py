"""Live schema snapshots: reflect the user's objects into a canonical document, and diff two."""

from .diff import Change, diff
from .model import canonical_json, sha256
from .reflect import reflect

__all__ = ["Change", "canonical_json", "diff", "reflect", "sha256"]
