"""Live schema snapshots: reflect the user's objects into a canonical document, and diff two."""

from .diff import Change, diff
from .model import canonical_json, sha256
from .reflect import SchemaSnapshot, reflect, snapshot

__all__ = ["Change", "SchemaSnapshot", "canonical_json", "diff", "reflect", "sha256", "snapshot"]
