"""Nexo Studio: versioned database schema migrations for DBAs."""

__version__ = "0.1.0"
