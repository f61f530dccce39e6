"""The history timeline.

* ``data``  -- :class:`TimelineData` (rows indexed into lanes and deployments), axis ticks and
  labels, time conversions: pure Python, no Qt (importing this package does not load Qt).
* ``paint`` -- the painting helpers, one per layer of the picture.
* ``view``  -- :class:`TimelineView`, the widget.
"""
from .data import DEPLOY_ACTIONS, LANE_ORDER, TimelineData, format_duration, to_seconds, to_utc


def __getattr__(name: str):  # noqa: ANN202 - the widget loads Qt only when asked for
    if name == "TimelineView":
        from .view import TimelineView
        return TimelineView
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["TimelineView", "TimelineData", "to_seconds", "to_utc", "format_duration", "LANE_ORDER",
           "DEPLOY_ACTIONS"]
