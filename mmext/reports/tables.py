"""The one CSV writer of the reports: atomic, floats with 6 significant digits."""
import csv

import numpy as np

from mmext.utils import atomic_write


def format_cell(value, nan: str = ''):
    """A float as ``6g`` text (``nan`` where NaN); anything else unchanged."""
    if isinstance(value, (float, np.floating)):
        return nan if np.isnan(value) else f'{value:.6g}'
    return value


def write_csv(path, header, rows, nan: str = ''):
    """Write ``header`` and ``rows`` (sequences of cells) to ``path`` atomically."""
    with atomic_write(path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows([format_cell(v, nan) for v in row] for row in rows)
    return path
