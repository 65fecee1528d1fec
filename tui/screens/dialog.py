"""The frame every threadmark dialog shares: a bordered box, centred over the reader."""

from __future__ import annotations

from typing import TypeVar

from textual.await_complete import AwaitComplete
from textual.screen import ModalScreen

Result = TypeVar("Result")


class Dialog(ModalScreen[Result]):
    """A modal screen whose one child (a Vertical or VerticalScroll) is drawn as the box.

    Subclasses set only what differs: the box's width or height, or where it sits.
    """

    _dismissed = False

    def dismiss(self, result: Result | None = None) -> AwaitComplete:
        """Close once.  Keys typed faster than a screen closes (two Enters) would dismiss it
        again: that would run its callback twice (toggling a tag back) and pop the screen
        below."""
        if self._dismissed:
            return AwaitComplete.nothing()
        self._dismissed = True
        return super().dismiss(result)

    DEFAULT_CSS = """
    Dialog { align: center middle; }
    Dialog > Vertical, Dialog > VerticalScroll {
        width: 76; max-width: 100%; height: auto;
        border: round $primary; background: $surface; padding: 0 1;
    }
    """
