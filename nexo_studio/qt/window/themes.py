"""View → Theme: System, Light or Dark, applied at once and remembered for the next start
(``--theme`` on the command line still wins)."""

from __future__ import annotations

from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QApplication, QMenu

from . import settings
from .base import WindowBase

THEMES = (("auto", "&System"), ("light", "&Light"), ("dark", "&Dark"))
SETTING = "view/theme"


def stored_theme() -> str:
    value = settings().value(SETTING)
    return value if value in {m for m, _l in THEMES} else "auto"


class WindowThemes(WindowBase):
    """The Theme submenu; a mixin of MainWindow."""

    def _build_theme_menu(self, view_menu: QMenu) -> None:
        self.theme_menu = view_menu.addMenu("&Theme")
        self.theme_menu.setObjectName("theme_menu")
        group = QActionGroup(self)
        group.setExclusive(True)
        current = stored_theme()
        for mode, label in THEMES:
            a = QAction(label, self)
            a.setObjectName(f"theme_{mode}")
            a.setCheckable(True)
            a.setChecked(mode == current)
            a.triggered.connect(lambda _c=False, m=mode: self.set_theme(m))
            group.addAction(a)
            self.theme_menu.addAction(a)
            self.actions_by_name[f"theme_{mode}"] = a

    def set_theme(self, mode: str) -> None:
        from ..theme import apply_theme, icon

        app = QApplication.instance()
        if isinstance(app, QApplication):  # the window's; a QCoreApplication has no palette
            apply_theme(app, mode)
        s = settings()
        s.setValue(SETTING, mode)
        s.sync()
        self.actions_by_name[f"theme_{mode}"].setChecked(True)
        for a in self.actions_by_name.values():  # icons are painted for the palette
            name = a.property("icon_name")
            if name:
                a.setIcon(icon(name))
        if self.loaded is not None:  # graph and tables take their colours from the palette
            self._graph_key = None
            self.apply_loaded(self.loaded)
