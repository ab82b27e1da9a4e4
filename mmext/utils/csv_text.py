"""CSV files as UTF-8 text: read checked (bad bytes or quoting are one line), written
atomically."""
import csv
import io
from collections.abc import Mapping

from .errors import InputError
from .fileio import atomic_write


def open_utf8_csv(path):
    """The CSV's text (UTF-8, a BOM dropped) as a file for :mod:`csv`; a file that is
    not UTF-8, or that the csv module cannot parse, raises :class:`InputError` naming
    the line."""
    with open(path, 'rb') as f:
        data = f.read()
    try:
        text = data.decode('utf-8-sig')
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b'\n') + 1
        raise InputError(f'{path} line {line}: not UTF-8 text (byte 0x{data[e.start]:02x}); '
                         'save the CSV as UTF-8') from None
    if '\0' in text:
        line = text[:text.index('\0')].count('\n') + 1
        raise InputError(f'{path} line {line}: NUL character (a binary file?)')
    # strict: a quote left open is an error, where the default reader silently merges every
    # later row into its field
    reader = csv.reader(io.StringIO(text, newline=''), strict=True)
    row_start = 1
    try:
        for _ in reader:
            row_start = reader.line_num + 1
    except csv.Error as e:
        if str(e) == 'unexpected end of data':
            raise InputError(f'{path} line {row_start}: unterminated quote (the quoted field '
                             'opened on this line runs to the end of the file)') from None
        raise InputError(f'{path} line {reader.line_num}: {e}') from None
    return io.StringIO(text, newline='')


def write_csv(path, header, rows, overwrite=True):
    """Write ``header`` and ``rows`` to ``path`` as UTF-8 CSV, atomically; a row is a
    sequence of cells or a dict (its ``header`` keys are written, others ignored, missing
    ones empty); return ``path``."""
    with atomic_write(path, 'w', overwrite=overwrite, newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows([row.get(k, '') for k in header] if isinstance(row, Mapping) else row
                         for row in rows)
    return path
