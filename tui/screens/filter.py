"""``f``: show only untagged comments, those with links, or those with one tag."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual.widgets.option_list import Option

from store.codebook import Tag
from store.queries import RowFilter
from tui.inert import one_line
from tui.screens.picker import Picker

FIXED = {
    "all": ("everything", lambda f: RowFilter(hide_tombstones=f.hide_tombstones)),
    "untagged": ("untagged", lambda f: replace(f, untagged=True, tag_id=None)),
    "links": ("has links", lambda f: replace(f, has_links=True)),
}


class FilterPicker(Picker[RowFilter]):
    """Dismisses with the new :class:`RowFilter`."""

    def __init__(self, tags: list[Tag], current: RowFilter) -> None:
        super().__init__("Show", "enter applies · esc cancels", placeholder="filter name or tag")
        self.tags = tags
        self.current = current

    def options(self, query: str) -> list[Option]:
        wanted = query.strip().casefold()
        options = [
            Option(Text(label), id=key) for key, (label, _) in FIXED.items() if wanted in label
        ]
        options += [
            Option(Text(f"tag {one_line(tag.name, 40)}"), id=f"tag:{tag.id}")
            for tag in self.tags
            if wanted in f"tag {tag.name.casefold()}"
        ]
        return options

    def choose(self, option_id: str | None, query: str) -> RowFilter | None:
        if option_id is None:
            return None
        if option_id.startswith("tag:"):
            return replace(self.current, tag_id=int(option_id[4:]), untagged=False)
        return FIXED[option_id][1](self.current)
