"""``?``: every key the reader knows, as remapped by the user's config, with its binding id."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui.screens.dialog import Dialog


def binding_table(app, groups: list[tuple[str, list[Binding]]], tag_names: dict[str, str]) -> Table:
    """A table of (keys, what it does, binding id), one section per pane.

    ``tag_names`` maps hotkeys to tag names, so "Toggle the tag with hotkey 1" names it.
    """
    table = Table(box=None, expand=True, show_header=True, header_style="bold", padding=(0, 1))
    table.add_column("key", no_wrap=True)
    table.add_column("does")
    table.add_column("id (for config.toml)", style="dim", no_wrap=True)
    for title, bindings in groups:
        table.add_row(Text(title, style="bold underline"), "", "")
        for binding in bindings:
            does = binding.tooltip or binding.description
            hotkey = (binding.id or "").removeprefix("tag_")
            if binding.id and binding.id.startswith("tag_") and hotkey in tag_names:
                does += f": {tag_names[hotkey]}"
            table.add_row(Text(app.keymap_keys(binding)), Text(does), Text(binding.id or ""))
    return table


class HelpScreen(Dialog[None]):
    BINDINGS = [
        Binding("escape,question_mark,q", "close", "Close", id="help_close"),
        Binding("j,down", "scroll('down')", "Down", show=False, id="help_down"),
        Binding("k,up", "scroll('up')", "Up", show=False, id="help_up"),
    ]
    DEFAULT_CSS = """
    HelpScreen > VerticalScroll { width: 90; height: 90%; }
    """

    def __init__(self, groups: list[tuple[str, list[Binding]]], tag_names: dict[str, str]) -> None:
        super().__init__()
        self.groups = groups
        self.tag_names = tag_names

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(binding_table(self.app, self.groups, self.tag_names))
            yield Static(
                Text(
                    'Remap any key in config.toml, [keys] section: binding_id = "key1,key2".\n'
                    f"Config folder: {self.app.config_dir}",
                    style="dim",
                )
            )

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_scroll(self, direction: str) -> None:
        scroll = self.query_one(VerticalScroll)
        scroll.scroll_down() if direction == "down" else scroll.scroll_up()

    def action_close(self) -> None:
        self.dismiss(None)
