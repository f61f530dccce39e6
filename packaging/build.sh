#!/usr/bin/env bash
# Build the one-folder bundle with PyInstaller and smoke-test the result.
#
#   bash packaging/build.sh            # -> build/dist/nexo-studio/{nexo-studio,nexo}
#
# The smoke test runs the built `nexo` CLI (--help, and status of the bundled sample project on a
# throwaway SQLite file), then the desktop binary offscreen with --screenshot on the bundled
# sample project (a throwaway data folder, so no user files are touched) and checks that a PNG
# came out.
# Not part of CI (it takes a few minutes).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}"
if ! "$PYTHON" -c "import PyInstaller" 2>/dev/null; then
  "$PYTHON" -m pip install -q "pyinstaller>=6.0"
fi

"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath build/dist --workpath build/pyinstaller packaging/nexo-studio.spec

APP=build/dist/nexo-studio
cp packaging/nexo-studio.desktop packaging/nexo-studio.svg "$APP/"

SMOKE_DATA="$(mktemp -d)"
trap 'rm -rf "$SMOKE_DATA"' EXIT
"$APP/nexo" --help >/dev/null || { echo "smoke test failed: nexo --help" >&2; exit 1; }
"$APP/nexo" --db "sqlite:///$SMOKE_DATA/cli.db" --migrations migrations status >/dev/null \
  || { echo "smoke test failed: nexo status" >&2; exit 1; }
OUT=build/smoke-screenshot.png
rm -f "$OUT"
QT_QPA_PLATFORM=offscreen NEXO_DATA_DIR="$SMOKE_DATA" timeout 120 "$APP/nexo-studio" --screenshot "$OUT" --view graph
test -s "$OUT" || { echo "smoke test failed: no screenshot written" >&2; exit 1; }
echo "built $APP with nexo-studio and nexo ($(du -sh "$APP" | cut -f1)); smoke screenshot: $OUT"
