"""The application layer between the front ends (``cli/``, ``qt/``) and the engine (``core/``).

A :class:`~nexo_studio.app.session.Session` is a project, its ``nexo.toml`` and a database,
opened once, with settings merged once (config < explicit overrides). The fronts translate
their input into a session and its operations, and render what comes back; they decide nothing
about databases themselves.
"""

from .session import Session, SessionSpec

__all__ = ["Session", "SessionSpec"]
