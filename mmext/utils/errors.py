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
def exit_on_input_error(config=None):
    """In a tool's ``main``: print an :class:`InputError` as ``error: ...`` and exit 2.

    A type name of ``config`` missing from the registries (mmengine's ``KeyError``
    "X is not in the ... registry") is reported the same way."""
    try:
        yield
    except InputError as exc:
        print(f'error: {one_line(exc)}', file=sys.stderr)
        sys.exit(2)
    except KeyError as exc:
        text = str(exc.args[0]) if exc.args else ''
        if ' is not in the ' not in text or ' registry' not in text:
            raise
        where = f'config {config}: ' if config else ''
        print(f"error: {where}{text.split('. ')[0]}", file=sys.stderr)
        sys.exit(2)


def one_line(exc):
    """The message of ``exc``; for one re-raised from a DataLoader worker (whose message
    is the worker's whole traceback), the original message only."""
    text = str(exc)
    if text.startswith('Caught ') and 'Original Traceback' in text:
        last = text.rstrip().splitlines()[-1]
        return last.split(': ', 1)[1] if ': ' in last else last
    return text
