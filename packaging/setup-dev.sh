#!/usr/bin/env bash
# Set up a development environment from the repository's own files:
# Qt's system libraries (Debian/Ubuntu, when run as root or with sudo), then a virtualenv in
# .venv with the project and its test dependencies installed (editable).
set -euo pipefail
cd "$(dirname "$0")/.."

QT_LIBS="libgl1 libegl1 libglib2.0-0 libfontconfig1 libxkbcommon0 libdbus-1-3"
# Qt's xcb platform plugin (a real X display, or Xvfb): without libxcb-icccm4/keysyms1 Qt
# aborts with a misleading "xcb-cursor0 or libxcb-cursor0 is needed".
X11_LIBS="libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0 libxcb-shape0
  libxcb-xkb1 libxkbcommon-x11-0 xvfb xauth"
# ODBC manager (pyodbc needs libodbc2 at import), PDF tools for report checks,
# and the database client tools the backup providers drive.
OTHER_LIBS="libodbc2 poppler-utils postgresql-client mariadb-client sqlite3"
# the other migration tools the adoption tests drive for real (SPEC §8): Sqitch with its drivers
ADOPT_LIBS="sqitch libdbd-pg-perl libdbd-sqlite3-perl libdbd-mysql-perl"
command -v java >/dev/null 2>&1 || ADOPT_LIBS="$ADOPT_LIBS default-jre-headless"  # Liquibase runs on Java

if command -v apt-get >/dev/null 2>&1; then
  missing=""
  for pkg in $QT_LIBS $X11_LIBS $OTHER_LIBS $ADOPT_LIBS; do
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

# dbmate (its npm package ships the binary) and Liquibase for the adoption tests, into NEXO_TOOLS_DIR
TOOLS_DIR="${NEXO_TOOLS_DIR:-$HOME/.cache/nexo-tools}"
if command -v npm >/dev/null 2>&1 && { [ ! -x "$TOOLS_DIR/node_modules/@dbmate/linux-x64/bin/dbmate" ] ||
    [ ! -x "$TOOLS_DIR/node_modules/liquibase/dist/liquibase/liquibase" ]; }; then
  mkdir -p "$TOOLS_DIR"
  npm install --prefix "$TOOLS_DIR" --no-audit --no-fund -s dbmate liquibase@4.28 >&2
fi
