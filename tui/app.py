"""The threadmark Textual app: themes, keymap, and which screen shows what."""

from __future__ import annotations

import gc
import sqlite3
from pathlib import Path

from textual import events
from textual.app import App
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.command import Provider
from textual.containers import Horizontal, Vertical

from store.database import database_exists, open_database
from store.queries import thread_to_open
from themes import app_variable_defaults, load_themes
from tui.inert import inert
from tui.screens.reader import ReaderScreen
from tui.widgets.comment_list import CommentList
from tui.widgets.comment_panel import CommentPanel
from tui.widgets.key_bar import KeyBar
from tui.widgets.progress_header import ProgressHeader
from tui.widgets.status_line import StatusLine
from tui.writer import Writer

# What the reader screen is made of (see ThreadmarkApp.on_load).
READER_WIDGETS = (
    ReaderScreen,
    ProgressHeader,
    Horizontal,
    Vertical,
    CommentList,
    CommentPanel,
    StatusLine,
    KeyBar,
)


def reader_commands() -> type[Provider]:
    """The palette's commands, loaded when the palette first opens rather than at start."""
    from tui.commands import ReaderCommands

    return ReaderCommands


class ThreadmarkApp(App[None]):
    """Opens one thread of one database for one annotator (importing a file first if asked)."""

    TITLE = "threadmark"
    COMMANDS = {reader_commands}
    BINDINGS = [
        Binding("question_mark", "help", "Help", tooltip="This list of keys", id="help"),
        Binding(
            "ctrl+p",
            "command_palette",
            "Commands",
            show=False,
            tooltip="Command palette: themes, filters, export, jump to #N",
            id="command_palette",
        ),
        Binding("q", "quit", "Quit", tooltip="Quit (everything is already saved)", id="quit"),
    ]

    def __init__(
        self,
        db_path: Path,
        annotator: str,
        *,
        db: sqlite3.Connection | None = None,
        thread_id: int | None = None,
        import_path: Path | None = None,
        import_title: str | None = None,
        theme: str | None = None,
        blind: bool = True,
        collect_after_paint: bool = False,
    ) -> None:
        """``blind``: the other annotators' tags are hidden until ``o`` shows them, since
        agreement is only meaningful between codings made independently.
        ``db``: a connection to ``db_path`` already open (the launch's), which the app takes
        over rather than open the file again.
        ``collect_after_paint``: the cyclic garbage collector is paused for the start-up (see
        tui.launch), and is to start once the reader has painted."""
        from tui import settings

        super().__init__()
        self.db_path = Path(db_path)
        self.annotator = annotator
        self.blind = blind
        # A database that does not exist yet is made only once its first import has worked:
        # bad input must leave nothing behind.
        if db is None and database_exists(self.db_path):
            db = open_database(self.db_path)
        self.db: sqlite3.Connection | None = db
        self.thread_id = thread_id
        self.import_path = import_path
        self.import_title = import_title
        self._collect_after_paint = collect_after_paint
        self.error: str | None = None
        self.quitting = False
        self.writer: Writer | None = None  # every change, off the UI thread (see tui.writer)
        self._remember_theme = False
        self.config_dir = settings.config_dir()
        config = settings.load_config()
        themes, warnings = load_themes(settings.themes_dir())
        for loaded in themes:
            self.register_theme(loaded)
        self.own_themes = {loaded.name for loaded in themes}
        state = settings.load_state()
        self.theme, theme_warning = settings.choose_theme(
            theme, config, state, set(self.available_themes)
        )
        if theme is not None and self.theme == theme:  # --theme is a choice: remember it
            settings.save_state(theme=theme)
        self._startup_warnings = [*warnings, *filter(None, [config.warning, theme_warning])]
        self.set_keymap(config.keys)

    def exit(self, result=None, return_code: int = 0, message=None) -> None:
        self.quitting = True
        super().exit(result, return_code, message)

    async def on_event(self, event: events.Event) -> None:
        """Once quitting, keys and clicks still queued (fast typing, a paste, SSH lag) are
        dropped: a dialog they opened would be mounted on an app that is shutting down."""
        if self.quitting and isinstance(event, events.InputEvent):
            return
        await super().on_event(event)

    def on_unmount(self) -> None:
        """Quitting waits for the changes still queued: what was typed before q is saved.
        Closing the connections then folds the -wal file back into the database, so a
        clean exit leaves no side files behind (when no one else has the file open)."""
        if self.writer is not None:
            self.writer.close()
        if self.db is not None:
            self.db.close()

    def on_writer_finished(self, message: Writer.Finished) -> None:
        self.writer.finished(message)

    def on_writer_waiting(self, message: Writer.Waiting) -> None:
        if self.reader is not None:
            self.reader.say("Saving… another process is writing to the database.", "warning")

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return app_variable_defaults()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity="information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """On the reader, a message goes to its status line (a toast would cover the pane);
        elsewhere a toast.  Never markup: a message often quotes comment or tag text."""
        if self.reader is not None and self.screen is self.reader:
            self.reader.say(message, severity)
            return
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def on_load(self) -> None:
        """The reader's widgets' CSS goes into the stylesheet before anything is styled.

        Textual adds a widget class's CSS when the first of its kind mounts, and parses the
        whole stylesheet again each time: the reader's classes, mounted one after another,
        would have it parsed five more times before the first paint.
        """
        for widget_class in READER_WIDGETS:
            for location, css, tie_breaker, scope in widget_class._get_default_css(
                widget_class.__new__(widget_class)  # (what it reads is the class's own)
            ):
                self.stylesheet.add_source(
                    css,
                    read_from=location,
                    is_default_css=True,
                    tie_breaker=tie_breaker,
                    scope=scope,
                )

    def on_mount(self) -> None:
        if self.import_path is not None:
            from tui.screens.importing import ImportScreen  # loads dedup: only when importing

            self._start_collecting()  # before the import, which pauses it while it runs
            self.push_screen(
                ImportScreen(self.db_path, self.import_path, self.import_title), self.open_thread
            )
        else:
            # Not now: Textual's start-up is one batch of updates, and a screen pushed inside
            # it is laid out and drawn there, and that frame is thrown away.
            self.call_later(self.open_thread, self.thread_id)

    def open_thread(self, thread_id: int | None) -> None:
        if self.db is None:
            self.db = open_database(self.db_path)
        if self.writer is None:
            self.writer = Writer(self, self.db_path)
        if thread_id is None:
            thread_id = self._last_thread()
        if thread_id is None:
            self.exit(return_code=2)
            self.error = "the database has no thread to open: give a FILE to import"
            return
        self.push_screen(ReaderScreen(thread_id))
        self.call_after_refresh(self._reader_shown, thread_id)

    def _reader_shown(self, thread_id: int) -> None:
        """Start-up warnings, once, on the reader (a toast raised before it would be lost).

        From here on a theme change is the user's choice, and is remembered; the thread is
        remembered now, not before the paint (writing a file waits for the disk).
        """
        from tui import settings

        self._start_collecting()
        settings.remember_thread(self.db_path, thread_id)
        while self._startup_warnings:  # a toast: they can be long, and they matter once
            warning = inert(self._startup_warnings.pop(0))
            super().notify(warning, severity="warning", timeout=10)
        self._remember_theme = True

    def _start_collecting(self) -> None:
        """Start the collector, if start-up paused it (``collect_after_paint``): once the
        reader has painted, or before an import.  What start-up made lives as long as the
        app: frozen, the collector never walks it."""
        if self._collect_after_paint:
            self._collect_after_paint = False
            gc.freeze()
            gc.enable()

    def switch_thread(self, thread_id: int) -> None:
        """Replace the reader with another thread of the same database."""
        super().pop_screen()
        self.open_thread(thread_id)

    def pop_screen(self) -> AwaitComplete:
        """Pop a dialog, never the reader: only switch_thread replaces it.

        A dialog asked to close twice before it has gone (Enter typed twice into the command
        palette) pops again, and that pop would take the reader with it.
        """
        if self.reader is not None and self.screen is self.reader:
            return AwaitComplete.nothing()
        return super().pop_screen()

    def _last_thread(self) -> int | None:
        from tui import settings

        remembered = settings.last_thread(settings.load_state(), self.db_path)
        return thread_to_open(self.db, remembered)

    def warn_later(self, warning: str) -> None:
        """A warning to show once the reader is up (an import's, say)."""
        self._startup_warnings.append(warning)

    def import_failed(self, message: str, *, cancelled: bool) -> None:
        """The first import failed or was cancelled: there is nothing to show, so leave."""
        self.error = message
        self.exit(return_code=130 if cancelled else 2)

    @property
    def reader(self) -> ReaderScreen | None:
        return next((s for s in self.screen_stack if isinstance(s, ReaderScreen)), None)

    def watch_theme(self, theme: str) -> None:
        from tui import settings

        if self._remember_theme:
            settings.save_state(theme=theme)
        if self.reader is not None:
            self.reader.changed()

    def keymap_keys(self, binding: Binding) -> str:
        """The keys that trigger ``binding`` now (after the user's remapping), for display."""
        keys = self._keymap.get(binding.id, binding.key) if binding.id else binding.key
        return ", ".join(self.get_key_display(Binding(key.strip(), "")) for key in keys.split(","))

    def action_help(self) -> None:
        from tui.screens.adjudication import AdjudicationScreen
        from tui.screens.agreement import AgreementScreen

        groups = [
            ("Thread list", CommentList.BINDINGS),
            ("Annotating", ReaderScreen.BINDINGS),
            ("Annotation pane", CommentPanel.BINDINGS),
            ("Anywhere", self.BINDINGS),
            ("Agreement (A)", AgreementScreen.BINDINGS),
            ("Adjudication (R)", AdjudicationScreen.BINDINGS),
        ]
        reader = self.reader
        tags = {tag.hotkey: tag.name for tag in reader.tags if tag.hotkey} if reader else {}
        from tui.screens.help import HelpScreen

        self.push_screen(HelpScreen(groups, tags))
