"""The one error type the command line turns into a single line and a non-zero exit code."""

from __future__ import annotations


class UserError(Exception):
    """Bad input or an unusable environment: the message names what was wrong and where.

    ``exit_code`` lets callers tell kinds apart (2 bad input, 3 locked, 4 unreachable service).
    """

    exit_code = 2

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code
