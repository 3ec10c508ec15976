"""The one user-facing error type: a message that says what is wrong and what to do, exit code 1."""

from __future__ import annotations


class UserError(Exception):
    """Bad input, an unusable target, a refused or stale plan: shown as one message, never a traceback.

    Raise it with `raise UserError(...) from err` when it wraps another error; the CLI prints the
    message (and, for commands run with --json, a JSON object) and exits 1.
    """
