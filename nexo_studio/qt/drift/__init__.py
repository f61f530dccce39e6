"""The GUI side of live schema drift (SPEC §10): the Drift view, its window mixin (tab, status-bar
indicator, "Accept as the new schema…") and the confirmation dialog."""

from .view import DriftView

__all__ = ["DriftView"]
