"""What a user can ask of any export besides its format and thread."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ExportOptions:
    """``annotator``: only this person's tags, notes and links (the import's own reply and
    quote links stay), as when a team shares its gold layer; None for everyone's."""

    annotator: str | None = None


EVERYONE = ExportOptions()
