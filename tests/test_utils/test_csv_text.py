"""CSV text: atomic UTF-8 writing of dict or list rows, read back by the checked reader."""
import csv

import pytest

from mmext.utils import InputError
from mmext.utils.csv_text import open_utf8_csv, write_csv


def test_write_csv_rows_and_dicts(tmp_path):
    path = tmp_path / 'out.csv'
    rows = [{'path': 'é.png', 'label': 'a', 'extra': 1}, {'path': 'b,c.png'}, ['d.png', 'b']]
    assert write_csv(path, ['path', 'label'], rows) == path
    assert path.read_bytes() == 'path,label\r\né.png,a\r\n"b,c.png",\r\nd.png,b\r\n'.encode()
    with open_utf8_csv(path) as f:
        assert list(csv.reader(f))[1:] == [['é.png', 'a'], ['b,c.png', ''], ['d.png', 'b']]


def test_write_csv_leaves_nothing_on_failure(tmp_path):
    path = tmp_path / 'out.csv'
    path.write_text('old\n')

    def rows():
        yield ['a', 'b']
        raise RuntimeError('stop')

    with pytest.raises(RuntimeError):
        write_csv(path, ['x', 'y'], rows())
    assert path.read_text() == 'old\n' and [p.name for p in tmp_path.iterdir()] == ['out.csv']
    with pytest.raises(InputError, match='out.csv exists; pass --force'):
        write_csv(path, ['x'], [], overwrite=False)
