"""``f``: show only untagged comments, those with links, or those with one tag.

The menu opens at once; how many rows each choice shows fills in when the reader has counted
them (:meth:`FilterPicker.show_counts`), a quarter second at a million comments.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from store.codebook import Tag
from store.queries import FilterCounts, RowFilter
from tui.inert import one_line
from tui.screens.picker import Picker

# id: (label, the filter it makes from the current one, its count in FilterCounts)
FIXED = {
    "all": ("everything", lambda f: RowFilter(hide_tombstones=f.hide_tombstones), "rows"),
    "untagged": ("untagged", lambda f: f._replace(untagged=True, tag_id=None), "untagged"),
    "links": ("has links", lambda f: f._replace(has_links=True), "has_links"),
    "note": ("has a note", lambda f: f._replace(has_note=True), "has_note"),
}


class FilterPicker(Picker[RowFilter]):
    """Dismisses with the new :class:`RowFilter`; each choice says how many rows it shows."""

    def __init__(
        self, tags: list[Tag], current: RowFilter, counts: FilterCounts | None = None
    ) -> None:
        narrowed = current._replace(hide_tombstones=False) != RowFilter()
        title = (
            "Show (within what is shown now; counts are the whole thread's)" if narrowed else "Show"
        )
        super().__init__(title, "enter applies · esc cancels", placeholder="filter name or tag")
        self.tags = tags
        self.current = current
        self.counts = counts

    def options(self, query: str) -> list[Option]:
        wanted = query.strip().casefold()
        return [
            Option(self._prompt(option_id, label), id=option_id)
            for option_id, label, searched in self._choices()
            if wanted in searched
        ]

    def show_counts(self, counts: FilterCounts) -> None:
        """The counts have come: shown beside each choice, the one highlighted kept."""
        if not self.is_attached:  # dismissed before they came
            return
        self.counts = counts
        options = self.query_one(OptionList)
        labels = {option_id: label for option_id, label, _ in self._choices()}
        for option in list(options.options):
            options.replace_option_prompt(option.id, self._prompt(option.id, labels[option.id]))

    def _choices(self) -> list[tuple[str, str, str]]:
        """Every choice's option id, label and the text typing searches, fixed ones first,
        then the codebook's."""
        fixed = [(key, label, label) for key, (label, _, _) in FIXED.items()]
        return fixed + [
            (f"tag:{tag.id}", f"tag {one_line(tag.name, 40)}", f"tag {tag.name.casefold()}")
            for tag in self.tags
        ]

    def _prompt(self, option_id: str, label: str) -> Text:
        if self.counts is None:
            count = "…"
        elif option_id.startswith("tag:"):
            count = f"{self.counts.by_tag.get(int(option_id[4:]), 0):,}"
        else:
            count = f"{getattr(self.counts, FIXED[option_id][2]):,}"
        text = Text(f"{count:>7}  ", style="dim")
        text.append(label)
        return text

    def choose(self, option_id: str | None, query: str) -> RowFilter | None:
        if option_id is None:
            return None
        if option_id.startswith("tag:"):
            return self.current._replace(tag_id=int(option_id[4:]), untagged=False)
        return FIXED[option_id][1](self.current)
