"""Errors that the CLI reports as one line on stderr with a non-zero exit code."""


class NewsbotError(Exception):
    """A problem the user can act on. `hint` says what to do; `exit_code` is the CLI's status."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class UsageError(NewsbotError):
    """Bad command-line input, such as a malformed query or an unknown field."""

    exit_code = 2
