"""Command palette entries (ctrl+p): export, filters, jump to a comment, deleted comments."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from store.exporters import EXPORTERS
from store.queries import RowFilter, list_threads
from tui.inert import inert, one_line


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
                (
                    f"Show tag {inert(tag.name)}",
                    partial(screen.apply_filter, RowFilter(tag_id=tag.id)),
                    "",
                )
            )
        for name in EXPORTERS:
            commands.append((f"Export as {name}", partial(screen.action_export, name), ""))
        for thread in list_threads(self.app.db):
            if thread.id != screen.thread_id:
                open_it = partial(self.app.switch_thread, thread.id)
                title = one_line(thread.title, 60)
                commands.append((f"Open thread {thread.id}: {title}", open_it, ""))
        return commands

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(Content(name), callback, text=name, help=help_text or None)

    async def search(self, query: str) -> Hits:
        screen = self.app.reader
        wanted = query.strip().lstrip("#")
        if screen is not None and wanted.isdigit():
            yield Hit(100, f"Jump to comment #{wanted}", partial(screen.jump_to, int(wanted)))
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:  # shown as plain Content: highlight() would parse names as markup
                yield Hit(score, Content(name), callback, text=name, help=help_text or None)
