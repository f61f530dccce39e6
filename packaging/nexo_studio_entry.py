"""PyInstaller entry script: the same ``main()`` as the ``nexo-studio`` console entry point."""

import sys

from nexo_studio.qt.app import main

if __name__ == "__main__":
    sys.exit(main())
