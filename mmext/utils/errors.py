"""The one exception type for bad user input.

Raise :class:`InputError` with a one-line message that names the file, row or
annotation at fault; mmext's tools print it as ``error: <message>`` and exit with
status 2 instead of a traceback.
"""
import contextlib
import sys


class InputError(ValueError):
    """Bad user input (file, config, row, annotation); the message is one line."""


@contextlib.contextmanager
def exit_on_input_error():
    """In a tool's ``main``: print an :class:`InputError` as ``error: ...`` and exit 2."""
    try:
        yield
    except InputError as exc:
        print(f'error: {exc}', file=sys.stderr)
        sys.exit(2)
