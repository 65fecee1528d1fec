"""``f``: show only untagged comments, those with links, or those with one tag."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual.widgets.option_list import Option

from store.codebook import Tag
from store.queries import FilterCounts, RowFilter
from tui.inert import one_line
from tui.screens.picker import Picker

# id: (label, the filter it makes from the current one, its count in FilterCounts)
FIXED = {
    "all": ("everything", lambda f: RowFilter(hide_tombstones=f.hide_tombstones), "rows"),
    "untagged": ("untagged", lambda f: replace(f, untagged=True, tag_id=None), "untagged"),
    "links": ("has links", lambda f: replace(f, has_links=True), "has_links"),
    "note": ("has a note", lambda f: replace(f, has_note=True), "has_note"),
}


class FilterPicker(Picker[RowFilter]):
    """Dismisses with the new :class:`RowFilter`; each choice says how many rows it shows."""

    def __init__(self, tags: list[Tag], current: RowFilter, counts: FilterCounts) -> None:
        narrowed = replace(current, hide_tombstones=False) != RowFilter()
        title = (
            "Show (within what is shown now; counts are the whole thread's)" if narrowed else "Show"
        )
        super().__init__(title, "enter applies · esc cancels", placeholder="filter name or tag")
        self.tags = tags
        self.current = current
        self.counts = counts

    def options(self, query: str) -> list[Option]:
        wanted = query.strip().casefold()
        options = [
            self._option(label, getattr(self.counts, count), key)
            for key, (label, _, count) in FIXED.items()
            if wanted in label
        ]
        options += [
            self._option(
                f"tag {one_line(tag.name, 40)}", self.counts.by_tag.get(tag.id, 0), f"tag:{tag.id}"
            )
            for tag in self.tags
            if wanted in f"tag {tag.name.casefold()}"
        ]
        return options

    @staticmethod
    def _option(label: str, count: int, option_id: str) -> Option:
        text = Text(f"{count:>7,}  ", style="dim")
        text.append(label)
        return Option(text, id=option_id)

    def choose(self, option_id: str | None, query: str) -> RowFilter | None:
        if option_id is None:
            return None
        if option_id.startswith("tag:"):
            return replace(self.current, tag_id=int(option_id[4:]), untagged=False)
        return FIXED[option_id][1](self.current)
