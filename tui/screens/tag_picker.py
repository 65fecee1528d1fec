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
    """Dismisses with the chosen :class:`Tag`, or with a new tag's name (a ``str``).

    Enter takes the first row: the tag whose name is exactly what was typed (whatever the
    case), else "create" when something new was typed, else the best fuzzy match.
    """

    def __init__(self, tags: list[Tag], comment: str) -> None:
        super().__init__(
            f"Tag {comment}",
            "enter toggles the tag · a new name creates it · esc cancels",
            placeholder="tag name",
        )
        self.tags = tags

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
        """The exact tag, or the typed name to create, first; then the fuzzy matches."""
        name = " ".join(query.split())
        exact = next((tag for tag in self.tags if tag.name.casefold() == name.casefold()), None)
        options = []
        if name and exact is None:
            options.append(Option(Text(f"+ create tag “{one_line(name, 60)}”"), id=NEW_TAG))
        ranked = self.ranked(query)
        if exact is not None:
            ranked = [exact, *(tag for tag in ranked if tag is not exact)]
        for tag in ranked:
            label = Text()
            label.append(
                f" {tag.hotkey or ' '} ", style=chip_style(tag, ansi=self.app.current_theme.ansi)
            )
            label.append(f" {one_line(tag.name, 30)}")
            if tag.description:
                label.append(f"  {one_line(tag.description, 120)}", style="dim")
            options.append(Option(label, id=str(tag.id)))
        return options

    def choose(self, option_id: str | None, query: str) -> Tag | str | None:
        if option_id == NEW_TAG:
            return " ".join(query.split())
        if option_id is None:
            return None
        return next(tag for tag in self.tags if str(tag.id) == option_id)
