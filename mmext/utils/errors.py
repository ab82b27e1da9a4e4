"""The one exception type for bad user input.

Raise :class:`InputError` with a one-line message that names the file, row or
annotation at fault; mmext's tools print it as ``error: <message>`` and exit with
status 2 instead of a traceback.
"""


class InputError(ValueError):
    """Bad user input (file, config, row, annotation); the message is one line."""
