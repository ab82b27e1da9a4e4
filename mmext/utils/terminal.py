"""What the tools print: rich consoles for their tables (a terminal's own width; in a file
or pipe, a log or CI, the tables' full width instead of rich's default 80 columns) and the
stack's warnings kept off the console (:func:`calm_warnings`)."""
import sys
import warnings

#: (message regex, category) of the stack's warnings that every run would print and that
#: say nothing about the run; each is filtered by both, nothing else is
STACK_WARNINGS = (
    # setuptools<81 (pinned: mmengine resolves mmdet::/mmpretrain:: bases through it)
    # warns when mmengine's package_utils import pkg_resources
    (r'pkg_resources is deprecated as an API', UserWarning),
)

#: the width used when the output is no terminal: wide enough that no table is cut
FILE_WIDTH = 1000


def rich_console(file=None, **kwargs):
    """A ``rich.console.Console`` on ``file`` (default stdout), not cut when redirected."""
    from rich.console import Console
    file = file or sys.stdout
    isatty = getattr(file, 'isatty', None)
    width = None if isatty is not None and isatty() else FILE_WIDTH
    return Console(file=file, width=width, **kwargs)


def calm_warnings():
    """Ignore the :data:`STACK_WARNINGS` (by message and category); a tool's first call."""
    for message, category in STACK_WARNINGS:
        warnings.filterwarnings('ignore', message=message, category=category)
