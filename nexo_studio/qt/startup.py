"""Checks made before Qt is loaded, so that a missing display or missing X11 libraries give a
clear message and exit 2 instead of Qt's abort (rc 134, "xcb-cursor0 … is needed", which names
the wrong cause). No Qt imports here."""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable, Mapping

NO_DISPLAY = ("no display: set QT_QPA_PLATFORM=offscreen for --screenshot, or run under a desktop/Xvfb "
              "(neither DISPLAY nor WAYLAND_DISPLAY is set)")

#: what Qt's xcb platform plugin loads: (shared library, Debian package)
X11_LIBS = (
    ("libxcb-cursor.so.0", "libxcb-cursor0"),
    ("libxcb-icccm.so.4", "libxcb-icccm4"),
    ("libxcb-image.so.0", "libxcb-image0"),
    ("libxcb-keysyms.so.1", "libxcb-keysyms1"),
    ("libxcb-render-util.so.0", "libxcb-render-util0"),
    ("libxcb-shape.so.0", "libxcb-shape0"),
    ("libxcb-xkb.so.1", "libxcb-xkb1"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
)


def _loads(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def missing_x11_packages(loads: Callable[[str], bool] = _loads) -> list[str]:
    """Debian packages of the X11 libraries Qt's xcb plugin needs that cannot be loaded."""
    return [pkg for lib, pkg in X11_LIBS if not loads(lib)]


def display_problem(env: Mapping[str, str], screenshot: bool, platform: str = sys.platform,
                    loads: Callable[[str], bool] = _loads) -> str | None:
    """Why Qt cannot open a window here (a message for the user), or None. With --screenshot
    and no display the caller renders offscreen instead (main() sets QT_QPA_PLATFORM)."""
    if not platform.startswith("linux"):
        return None
    qpa = env.get("QT_QPA_PLATFORM", "")
    if qpa and not qpa.startswith("xcb"):
        return None  # offscreen, wayland, vnc…: the user chose; Qt reports its own problems
    if not qpa and env.get("WAYLAND_DISPLAY"):
        return None
    if not env.get("DISPLAY"):
        return None if screenshot and not qpa else NO_DISPLAY
    missing = missing_x11_packages(loads)
    if missing:
        return ("Qt cannot open a window on this X display: missing system libraries "
                f"{', '.join(missing)} (Debian/Ubuntu: apt-get install {' '.join(missing)}; "
                "packaging/setup-dev.sh installs them), or set QT_QPA_PLATFORM=offscreen for --screenshot")
    return None
