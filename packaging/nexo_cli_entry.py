"""PyInstaller entry script for the bundled ``nexo`` command: the same ``entry()`` as the
``nexo`` console entry point (pyproject's ``[project.scripts]``)."""

from nexo_studio.cli.main import entry

if __name__ == "__main__":
    entry()
