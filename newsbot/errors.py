"""Errors that the CLI reports as one line on stderr with a non-zero exit code."""

from newsbot.text import strip_controls


class NewsbotError(Exception):
    """A problem the user can act on. `hint` says what to do; `exit_code` is the CLI's status."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        # Messages often echo what the user gave (a URL, a query), which may hold escapes.
        super().__init__(strip_controls(message))
        self.hint = strip_controls(hint) if hint else hint


class UsageError(NewsbotError):
    """Bad command-line input, such as a malformed query or an unknown field."""

    exit_code = 2
