"""A tag's colour on screen: its codebook colour, or the nearest of 16 under an ANSI theme."""

from __future__ import annotations

from rich.color import Color, ColorSystem
from rich.style import Style

from store.codebook import Tag


def tag_color(tag: Tag, *, ansi: bool) -> Color:
    """The tag's colour, or the nearest of the terminal's 16 under an ANSI theme."""
    color = Color.parse(tag.color)
    return color.downgrade(ColorSystem.STANDARD) if ansi else color


def chip_style(tag: Tag, *, ansi: bool, foreground: Color | None = None) -> Style:
    """The style of a tag chip: the tag's colour behind ``foreground`` text."""
    return Style(bgcolor=tag_color(tag, ansi=ansi), color=foreground, bold=True)
