"""Targets tagged ``production`` are asked for twice (issue 16, as a production profile is in the
main window): a fleet run that would change one starts only when the front end confirmed it by
name. The rule lives here so the CLI and the GUI cannot drift apart: ``run_fleet`` refuses
(``ProductionNotConfirmed``, exit 2, before any target starts) unless every production target
of the run is in ``FleetOptions.production_confirmed``. A dry run changes nothing and is not asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ...errors import ProductionNotConfirmed
from .targets import FleetTarget

#: the tag that marks a target as production
PRODUCTION_TAG = "production"


def production_names(targets: Iterable[FleetTarget]) -> list[str]:
    """The production targets among ``targets``, in their order."""
    return [t.name for t in targets if PRODUCTION_TAG in t.tags]


def phrase(names: Sequence[str]) -> str:
    """What the user types to go on: the target's name, or for several "N production targets"."""
    return names[0] if len(names) == 1 else f"{len(names)} production targets"


def check(targets: Sequence[FleetTarget], dry_run: bool, confirmed: Iterable[str]) -> None:
    """Raise ``ProductionNotConfirmed`` naming the production targets not confirmed."""
    if dry_run:
        return
    names, ok = production_names(targets), set(confirmed)
    missing = [n for n in names if n not in ok]
    if missing:
        raise ProductionNotConfirmed(missing, phrase(names))
