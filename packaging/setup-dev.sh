#!/usr/bin/env bash
# Set up a development environment from the repository's own files:
# Qt's system libraries (Debian/Ubuntu, when run as root or with sudo), then a virtualenv in
# .venv with the project and its test dependencies installed (editable).
set -euo pipefail
cd "$(dirname "$0")/.."

QT_LIBS="libgl1 libegl1 libglib2.0-0 libfontconfig1 libxkbcommon0 libdbus-1-3"
# ODBC manager (pyodbc needs libodbc2 at import), PDF tools for report checks,
# and the database client tools the backup providers drive.
OTHER_LIBS="libodbc2 poppler-utils postgresql-client mariadb-client sqlite3"

if command -v apt-get >/dev/null 2>&1; then
  missing=""
  for pkg in $QT_LIBS $OTHER_LIBS; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
  done
  if [ -n "$missing" ]; then
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    echo "installing system packages:$missing" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
  fi
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
