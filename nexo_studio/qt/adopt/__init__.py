"""Taking over another tool's project and database in the window (SPEC §8): the import wizard
(File → Import from another tool…) and the read-only ``--from TOOL`` view. Both go through the
application layer (``nexo_studio.app.adopt``, ``nexo_studio.app.foreign_view``)."""

from .wizard import ImportWizard

__all__ = ["ImportWizard"]
