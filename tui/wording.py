"""How counts read in messages: "1 comment", "2 comments"."""


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"
