"""The frame every threadmark dialog shares: a bordered box, centred over the reader."""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen

Result = TypeVar("Result")


class Dialog(ModalScreen[Result]):
    """A modal screen whose one child (a Vertical or VerticalScroll) is drawn as the box.

    Subclasses set only what differs: the box's width or height, or where it sits.
    """

    DEFAULT_CSS = """
    Dialog { align: center middle; }
    Dialog > Vertical, Dialog > VerticalScroll {
        width: 76; max-width: 100%; height: auto;
        border: round $primary; background: $surface; padding: 0 1;
    }
    """
