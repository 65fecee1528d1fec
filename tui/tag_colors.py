"""A tag's colour on screen: its codebook colour, or the nearest of 16 under an ANSI theme."""

from __future__ import annotations

from rich.color import Color, ColorSystem
from rich.style import Style

from store.codebook import Tag


def chip_style(tag: Tag, *, ansi: bool, foreground: Color | None = None) -> Style:
    """The style of a tag chip: the tag's colour behind ``foreground`` text."""
    color = Color.parse(tag.color)
    if ansi:
        color = color.downgrade(ColorSystem.STANDARD)
    return Style(bgcolor=color, color=foreground, bold=True)
