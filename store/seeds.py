"""Where the bundled seed thread and starter codebook live, installed or in a checkout."""

from __future__ import annotations

from pathlib import Path

SEED_THREAD_NAME = "000_661a8b21aa12c001.txt"
SEED_THREAD_TITLE = "AI and copyright (a Lemmy thread, scraped twice)"


def seeds_dir() -> Path:
    """The ``seeds/`` folder: packed into ``store/seeds`` in a wheel, at the top of a checkout."""
    package_dir = Path(__file__).resolve().parent
    for candidate in (package_dir / "seeds", package_dir.parent / "seeds"):
        if (candidate / "codebook.json").is_file():
            return candidate
    raise FileNotFoundError("threadmark's seeds/ folder is missing from this installation")


def seed_thread_path() -> Path:
    """The Lemmy thread a new user sees first."""
    return seeds_dir() / SEED_THREAD_NAME
