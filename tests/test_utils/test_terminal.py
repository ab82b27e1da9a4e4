"""The tools' console: tables not cut in files, the stack's known warnings filtered."""
import io
import os
import subprocess
import sys
import warnings

from rich.table import Table

from mmext.utils.terminal import calm_warnings, rich_console

MESSAGE = ('pkg_resources is deprecated as an API. See '
           'https://setuptools.pypa.io/en/latest/pkg_resources.html.')


def test_table_in_a_file_keeps_its_width():
    table = Table('class', 'train')
    long_name = 'martensite+' * 12 + 'spheroidite'
    table.add_row(long_name, '123')
    out = io.StringIO()
    rich_console(out).print(table)
    line, = [x for x in out.getvalue().splitlines() if long_name in x]
    assert '123' in line and line.rstrip().endswith('│')  # the row whole, on one line


def test_only_the_named_warnings_are_filtered():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        calm_warnings()
        warnings.warn(MESSAGE, UserWarning)
        warnings.warn(MESSAGE, DeprecationWarning)  # same text, another category
        warnings.warn('a warning of the run', UserWarning)
    assert [(str(w.message)[:14], w.category) for w in caught] == [
        ('pkg_resources ', DeprecationWarning), ('a warning of t', UserWarning)]


def test_the_real_pkg_resources_warning_is_matched():
    env = dict(os.environ)
    env.pop('PYTHONWARNINGS', None)
    code = 'from mmext.utils.terminal import calm_warnings; {}import pkg_resources'
    plain, calm = (subprocess.run([sys.executable, '-W', 'default', '-c', code.format(call)],
                                  env=env, capture_output=True, text=True, timeout=120)
                   for call in ('', 'calm_warnings(); '))
    assert 'pkg_resources is deprecated' in plain.stderr
    assert calm.returncode == 0 and 'pkg_resources is deprecated' not in calm.stderr
