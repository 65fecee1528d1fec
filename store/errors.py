"""The one exception type a user is shown: bad input, never a bug."""


class ThreadmarkError(Exception):
    """A problem with the user's input (file, format, database, arguments).

    The command line prints it as one ``threadmark: error: ...`` line and exits 2;
    anything else that escapes is a bug and keeps its traceback.
    """
