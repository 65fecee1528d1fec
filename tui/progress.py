"""A progress bar for long command-line work, shown only when stderr is a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from store.dedup import Progress as ProgressCallback


@contextmanager
def import_progress(description: str) -> Iterator[ProgressCallback | None]:
    """Yield a ``progress(stage, done, total)`` callback drawing a rich bar, or None when piped."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

    with Progress(
        TextColumn("{task.description}", markup=False),  # a file name is not markup
        BarColumn(),
        TaskProgressColumn(),
        transient=True,
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task(description, total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=f"{description}: {stage}", completed=done, total=total)

        yield progress
