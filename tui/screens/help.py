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
        rows: dict[str, tuple[list[str], list[str]]] = {}  # keys -> (what each does, ids)
        for binding in bindings:
            does = binding.tooltip or binding.description
            hotkey = (binding.id or "").removeprefix("tag_")
            if binding.id and binding.id.startswith("tag_") and hotkey in tag_names:
                does += f": {tag_names[hotkey]}"
            what, ids = rows.setdefault(app.keymap_keys(binding), ([], []))
            what.append(does)
            ids.append(binding.id or "")
        for keys, (what, ids) in rows.items():  # keys that do two things here are one row
            does = "; ".join([what[0], *(other[:1].lower() + other[1:] for other in what[1:])])
            table.add_row(Text(keys), Text(does), Text(", ".join(filter(None, ids))))
    return table


class HelpScreen(Dialog[None]):
    BINDINGS = [
        Binding("escape,question_mark,q", "close", "Close", id="help_close"),
        Binding("j,down", "scroll('down')", "Down", show=False, id="help_down"),
        Binding("k,up", "scroll('up')", "Up", show=False, id="help_up"),
        Binding(
            "pagedown,space", "scroll('page_down')", "Page down", show=False, id="help_page_down"
        ),
        Binding("pageup", "scroll('page_up')", "Page up", show=False, id="help_page_up"),
        Binding("g,home", "scroll('home')", "Top", show=False, id="help_top"),
        Binding("G,end", "scroll('end')", "Bottom", show=False, id="help_bottom"),
    ]
    DEFAULT_CSS = """
    HelpScreen > VerticalScroll { width: 90; height: 90%; }
    HelpScreen #help-title { text-style: bold; }
    HelpScreen VerticalScroll { border-title-align: left; border-subtitle-align: right; }
    """

    def __init__(self, groups: list[tuple[str, list[Binding]]], tag_names: dict[str, str]) -> None:
        super().__init__()
        self.groups = groups
        self.tag_names = tag_names

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "threadmark keys"
            scroll.border_subtitle = "j/k scroll · g/G top/bottom · esc or ? closes"
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

    def action_scroll(self, where: str) -> None:
        scroll = self.query_one(VerticalScroll)
        moves = {
            "down": scroll.scroll_down,
            "up": scroll.scroll_up,
            "page_down": scroll.scroll_page_down,
            "page_up": scroll.scroll_page_up,
            "home": scroll.scroll_home,
            "end": scroll.scroll_end,
        }
        moves[where](animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
