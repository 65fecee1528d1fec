"""The shape every picker shares: a prompt, an input that filters, a list, Enter to choose."""

from __future__ import annotations

from typing import Generic, TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from tui.screens.dialog import Dialog

Choice = TypeVar("Choice")


class Picker(Dialog[Choice | None], Generic[Choice]):
    """A modal list filtered by what is typed; up/down move, Enter picks, Escape cancels.

    Subclasses give ``options(query)``: the options for what is typed, each with an ``id``
    that ``choose(option_id, query)`` turns into the result.
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="picker_cancel"),
        Binding("down", "move(1)", "Down", show=False, id="picker_down"),
        Binding("up", "move(-1)", "Up", show=False, id="picker_up"),
    ]
    DEFAULT_CSS = """
    Picker > Vertical { max-height: 90%; }
    Picker #picker-title { text-style: bold; width: 1fr; }
    Picker #picker-hint { color: $text-muted; }
    Picker OptionList {
        height: auto; max-height: 16; border: none; padding: 0;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    """

    def __init__(self, title: str, hint: str, placeholder: str = "type to filter") -> None:
        super().__init__()
        self._title = title
        self._hint = hint
        self._placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self._title), id="picker-title")
            yield Input(placeholder=self._placeholder, id="picker-input")
            yield OptionList(id="picker-options")
            yield Label(Text(self._hint), id="picker-hint")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one(Input).focus()

    def options(self, query: str) -> list[Option]:
        raise NotImplementedError

    def choose(self, option_id: str | None, query: str) -> Choice | None:
        raise NotImplementedError

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def _fill(self, query: str) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(self.options(query))
        if options.option_count:
            options.highlighted = 0

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            current = options.highlighted or 0
            options.highlighted = max(0, min(options.option_count - 1, current + step))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        options = self.query_one(OptionList)
        highlighted = options.highlighted
        option_id = options.get_option_at_index(highlighted).id if highlighted is not None else None
        self._finish(option_id, event.value)

    @on(OptionList.OptionSelected)
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        self._finish(event.option.id, self.query_one(Input).value)

    def _finish(self, option_id: str | None, query: str) -> None:
        choice = self.choose(option_id, query)
        if choice is not None:
            self.dismiss(choice)

    def action_cancel(self) -> None:
        self.dismiss(None)
