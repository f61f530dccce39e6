"""Fleets: one project, many databases (SPEC §9).

``targets`` reads the ``[fleet]`` table and ``[[targets]]`` of ``nexo.toml`` (or a ``--targets``
file); ``status`` reads every target in parallel; ``runner`` runs the single-database deploy or
rollback pipeline on each target (canary first, then at most N at once); ``export`` writes the
matrix with each target's chain verdict. Each worker thread opens its own
:class:`~nexo_studio.app.session.Session` (its own engine and connections): no connection
crosses threads.
"""

from .targets import FleetTarget, FleetTargets, load_targets, select

__all__ = ["FleetTarget", "FleetTargets", "load_targets", "select"]
