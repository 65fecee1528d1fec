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
from textual.binding import ActiveBinding
from textual.widget import Widget

PALETTE_ACTION = "command_palette"


class KeySpan(NamedTuple):
    """Where one key's hint is drawn, so that a click on it presses the key."""

    start: int
    end: int
    key: str
    enabled: bool
    tooltip: str


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
        """The shown bindings left to right, one per action; the palette key at the right end.

        Hints that do not fit are cut with an ellipsis; in a very narrow terminal only the
        palette key is left.
        """
        active = list(self.screen.active_bindings.values())
        palette = next((found for found in active if found.binding.action == PALETTE_ACTION), None)
        if not self.app.ENABLE_COMMAND_PALETTE:
            palette = None
        hints: list[ActiveBinding] = []
        actions: set[str] = set()
        for found in active:
            binding = found.binding
            if binding.show and binding.action not in actions and found is not palette:
                actions.add(binding.action)
                hints.append(found)
        line, spans = self._hints(hints)
        width = self.size.width
        if palette is None:
            room = width
        else:
            tail, tail_spans = self._hints([palette])
            room = width - tail.cell_len - 1
        if line.cell_len > room:
            room = max(0, room)
            if room:  # (rich's truncate to 0 cells keeps the text)
                line.truncate(room, overflow="ellipsis")
            else:
                line = Text(end="")
            spans = [span for span in spans if span.end < room]  # the last cell is the "…"
        if palette is not None:
            line.pad_right(room - line.cell_len)
            line.append("▏", Style(dim=True))
            shift = line.cell_len
            line.append_text(tail)
            spans = [span._replace(start=span.start + shift, end=span.end + shift)
                     for span in tail_spans] + spans  # fmt: skip
        self._spans = [span for span in spans if span.end <= width]
        return line

    def _hints(self, hints: list[ActiveBinding]) -> tuple[Text, list[KeySpan]]:
        """``key description`` for each binding, dimmed when disabled, and where each one is."""
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        spans: list[KeySpan] = []
        for _node, binding, enabled, tooltip in hints:
            if line:
                line.append(" ", description_style)
            dim = Style(dim=not enabled)
            start = line.cell_len
            line.append(self.app.get_key_display(binding), key_style + dim)
            line.append(f" {binding.description}", description_style + dim)
            key = binding.key.split(",")[0]
            spans.append(KeySpan(start, line.cell_len, key, enabled, tooltip or binding.tooltip))
        return line, spans

    def _span_at(self, x: int) -> KeySpan | None:
        return next((span for span in self._spans if span.start <= x < span.end), None)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        span = self._span_at(event.x)
        self.tooltip = span.tooltip if span else None

    def on_click(self, event: events.Click) -> None:
        span = self._span_at(event.x)
        if span is not None and span.enabled:
            self.app.simulate_key(span.key)
