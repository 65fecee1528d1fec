"""``t``: fuzzy-search the codebook and toggle a tag, or type a new name to create it."""

from __future__ import annotations

from rapidfuzz import fuzz, process, utils
from rich.text import Text
from textual.widgets.option_list import Option

from store.codebook import Tag
from tui.inert import one_line
from tui.screens.picker import Picker
from tui.tag_colors import chip_style

NEW_TAG = "new"


class TagPicker(Picker[Tag | str]):
    """Dismisses with the chosen :class:`Tag`, or with a new tag's name (a ``str``)."""

    def __init__(self, tags: list[Tag], cluster_id: int, applied: set[int]) -> None:
        super().__init__(
            f"Tag #{cluster_id}",
            "enter toggles the tag · a new name creates it · esc cancels",
            placeholder="tag name",
        )
        self.tags = tags
        self.applied = applied

    def ranked(self, query: str) -> list[Tag]:
        if not query.strip():
            return self.tags
        matches = process.extract(
            query,
            {tag.id: tag.name for tag in self.tags},
            scorer=fuzz.WRatio,
            processor=utils.default_process,
            score_cutoff=50,
            limit=None,
        )
        by_id = {tag.id: tag for tag in self.tags}
        return [by_id[tag_id] for _, _, tag_id in matches]

    def options(self, query: str) -> list[Option]:
        """Matching tags best first; creating the typed name comes after them."""
        options = []
        for tag in self.ranked(query):
            label = Text()
            label.append(
                f" {tag.hotkey or ' '} ", style=chip_style(tag, ansi=self.app.current_theme.ansi)
            )
            label.append(f" {one_line(tag.name, 30)}")
            if tag.description:
                label.append(f"  {one_line(tag.description, 120)}", style="dim")
            options.append(Option(label, id=str(tag.id)))
        name = " ".join(query.split())
        if name and not any(tag.name.casefold() == name.casefold() for tag in self.tags):
            options.append(Option(Text(f"+ create tag “{one_line(name, 60)}”"), id=NEW_TAG))
        return options

    def choose(self, option_id: str | None, query: str) -> Tag | str | None:
        if option_id == NEW_TAG:
            return " ".join(query.split())
        if option_id is None:
            return None
        return next(tag for tag in self.tags if str(tag.id) == option_id)
