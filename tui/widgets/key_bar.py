"""The bottom line: the keys that matter where the focus is, drawn as one widget.

Textual's ``Footer`` shows the same bindings but mounts a widget per key, which cost the reader
0.04 s of its first paint; this draws one line of text from ``screen.active_bindings`` and
redraws it when the focus (and so the bindings) change.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widget import Widget


class KeySpan(NamedTuple):
    """Where one key's hint is drawn, so that a click on it presses the key."""

    start: int
    end: int
    key: str


class KeyBar(Widget):
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
    }
    KeyBar > .key-bar--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeyBar > .key-bar--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._spans: list[KeySpan] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen) -> None:
        self.refresh()

    def render(self) -> Text:
        """The shown bindings left to right, one per action; the palette key at the right end."""
        active = self.screen.active_bindings
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        if not self.app.ENABLE_COMMAND_PALETTE:
            palette = None
        hints: list[tuple[Binding, bool]] = []
        actions: set[str] = set()
        for _node, binding, enabled, _tooltip in active.values():
            shown = binding.show and binding.action not in actions
            if shown and (palette is None or binding is not palette[1]):
                actions.add(binding.action)
                hints.append((binding, enabled))
        line, spans = self._hints(hints)
        if palette is not None:
            tail, tail_spans = self._hints([(palette[1], palette[2])])
            room = max(0, self.size.width - tail.cell_len - 1)
            line.truncate(room, overflow="ellipsis", pad=True)
            line.append("▏", Style(dim=True))
            shift = room + 1
            spans += [KeySpan(start + shift, end + shift, key) for start, end, key in tail_spans]
            line.append_text(tail)
        self._spans = [span for span in spans if span.end <= self.size.width]
        return line

    def _hints(self, hints: list[tuple[Binding, bool]]) -> tuple[Text, list[KeySpan]]:
        """``key description`` for each binding, dimmed when disabled, and where each one is."""
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        spans: list[KeySpan] = []
        for binding, enabled in hints:
            if line:
                line.append(" ", description_style)
            dim = Style(dim=not enabled)
            start = line.cell_len
            line.append(self.app.get_key_display(binding), key_style + dim)
            line.append(f" {binding.description}", description_style + dim)
            spans.append(KeySpan(start, line.cell_len, binding.key.split(",")[0]))
        return line, spans

    def on_click(self, event: events.Click) -> None:
        for span in self._spans:
            if span.start <= event.x < span.end:
                self.app.simulate_key(span.key)
                return
