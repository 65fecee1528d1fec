"""Command palette entries (ctrl+p): export, filters, jump to a comment, deleted comments."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from store.export import EXPORTERS
from store.queries import RowFilter


class ReaderCommands(Provider):
    """Everything the reader's keys do that is worth finding by name."""

    def _commands(self) -> list[tuple[str, object, str]]:
        screen = self.app.reader
        if screen is None:
            return []
        commands: list[tuple[str, object, str]] = [
            ("Show everything", partial(screen.apply_filter, RowFilter()), "clear every filter"),
            ("Show untagged comments", partial(screen.apply_filter, RowFilter(untagged=True)), ""),
            (
                "Show comments with links",
                partial(screen.apply_filter, RowFilter(has_links=True)),
                "",
            ),
            ("Show or hide deleted comments", screen.action_toggle_tombstones, "d"),
            ("Export…", screen.action_export, "x"),
            ("Help: every key", self.app.action_help, "?"),
        ]
        for tag in screen.tags:
            commands.append(
                (f"Show tag {tag.name}", partial(screen.apply_filter, RowFilter(tag_id=tag.id)), "")
            )
        for name in EXPORTERS:
            commands.append((f"Export as {name}", screen.action_export, "opens the export dialog"))
        return commands

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text or None)

    async def search(self, query: str) -> Hits:
        screen = self.app.reader
        wanted = query.strip().lstrip("#")
        if screen is not None and wanted.isdigit():
            yield Hit(100, f"Jump to comment #{wanted}", partial(screen.jump_to, int(wanted)))
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text or None)
