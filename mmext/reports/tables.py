"""The reports' tables: floats with 6 significant digits, written by the one CSV writer."""
import numpy as np

from mmext.utils.csv_text import write_csv


def format_cell(value, nan: str = ''):
    """A float as ``6g`` text (``nan`` where NaN); anything else unchanged."""
    if isinstance(value, (float, np.floating)):
        return nan if np.isnan(value) else f'{value:.6g}'
    return value


def write_table(path, header, rows, nan: str = '', overwrite=True):
    """Write ``header`` and ``rows`` (sequences of cells, floats formatted) to ``path``."""
    return write_csv(path, header, ([format_cell(v, nan) for v in row] for row in rows),
                     overwrite=overwrite)
