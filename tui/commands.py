"""The command palette (ctrl+p): what the reader's keys do, found by name, and themes.

It is the palette's only provider: Textual's own system commands (a second help, maximize,
screenshots to a Downloads folder) do not belong over SSH, and its theme list put twenty of
Textual's themes before threadmark's.  Here threadmark's commands come first, then its themes,
then the rest, then quit.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from store.exporters import EXPORT_FORMATS
from store.queries import RowFilter, list_threads
from tui.inert import inert, one_line

Command = tuple[str, Callable[[], object], str]  # name, what it does, help (often the key)


class Once:
    """A command that runs at most once: the palette runs its choice again when Enter comes
    twice before it has closed (fast typing, a paste), which would open a dialog twice."""

    def __init__(self, callback: Callable[[], object]) -> None:
        self.callback = callback
        self.done = False

    def __call__(self) -> None:
        if not self.done:
            self.done = True
            self.callback()


class ReaderCommands(Provider):
    """Everything the reader's keys do that is worth finding by name."""

    def _commands(self) -> list[Command]:
        screen = self.app.reader
        if screen is None:
            return [("Quit", self.app.action_quit, "q")]
        commands: list[Command] = [
            ("Show everything", partial(screen.apply_filter, RowFilter()), "clear every filter"),
            ("Show untagged comments", partial(screen.apply_filter, RowFilter(untagged=True)), ""),
            (
                "Show comments with links",
                partial(screen.apply_filter, RowFilter(has_links=True)),
                "",
            ),
            (
                "Show comments with a note",
                partial(screen.apply_filter, RowFilter(has_note=True)),
                "",
            ),
            ("Show or hide deleted comments", screen.action_toggle_tombstones, "d"),
            ("Link: rephrases another comment", partial(screen.action_link, "rephrases"), "p"),
            ("Back to the comment jumped from", screen.action_jump_back, "ctrl+o"),
            ("Export…", screen.action_export, "x"),
            ("Agreement between the annotators", screen.action_agreement, "A"),
            ("Review disagreements: adjudicate into your layer", screen.action_adjudicate, "R"),
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
        for format in EXPORT_FORMATS.values():
            export_it = partial(screen.action_export, format.name)
            commands.append((f"Export as {format.name}", export_it, format.description))
        for thread in list_threads(self.app.db):
            if thread.id != screen.thread_id:
                open_it = partial(self.app.switch_thread, thread.id)
                title = one_line(thread.title, 60)
                commands.append((f"Open thread {thread.id}: {title}", open_it, ""))
        commands += self._themes()
        commands.append(("Quit", self.app.action_quit, "q"))
        return commands

    def _themes(self) -> list[Command]:
        """threadmark's themes (and the user's own) first, then Textual's."""
        app = self.app
        names = sorted(app.available_themes, key=lambda name: (name not in app.own_themes, name))
        return [
            (f"Theme: {inert(name)}", partial(setattr, app, "theme", name), "remembered")
            for name in names
        ]

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(Content(name), Once(callback), text=name, help=help_text or None)

    async def search(self, query: str) -> Hits:
        screen = self.app.reader
        wanted = query.strip().lstrip("#")
        if screen is not None and wanted.isdigit():
            number = int(wanted)
            jump = Once(partial(screen.jump_to_number, number))
            yield Hit(100, f"Jump to comment #{number}", jump)
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:  # shown as plain Content: highlight() would parse names as markup
                hit = Content(name)
                yield Hit(score, hit, Once(callback), text=name, help=help_text or None)
