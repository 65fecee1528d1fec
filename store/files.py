"""What kind of file a path is, for the messages that refuse what is not a regular file.

Sources and databases alike must be regular files: opening a named pipe blocks until someone
writes to it, and a device can be read for ever.
"""

from __future__ import annotations

import stat

_SPECIAL_KINDS = {
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def special_kind(mode: int) -> str:
    """``st_mode`` of a file that is neither a regular file nor a directory, in words."""
    return _SPECIAL_KINDS.get(stat.S_IFMT(mode), "not a regular file")
