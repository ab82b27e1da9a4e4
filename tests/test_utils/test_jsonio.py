"""JSON reading: one line naming the file on bad input; JSON-lines logs cut mid-write."""
import pytest

from mmext.utils import InputError
from mmext.utils.jsonio import read_json, read_json_lines


@pytest.mark.parametrize('content, message', [
    (None, 'x.json: no such file'),
    (b'{"images": [', r'x.json: not valid JSON \(Expecting value: line 1 column 13'),
    (b'{"a": "\xff"}', r'x.json: not UTF-8 text \(invalid start byte at byte 7\)'),
    (b'[' * 100000 + b']' * 100000, r'x.json: not valid JSON \(nested too deeply\)'),
])
def test_read_json_names_the_file(tmp_path, content, message):
    path = tmp_path / 'x.json'
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_json(path)


def test_read_json_of_a_folder(tmp_path):
    with pytest.raises(InputError, match='is a folder, not a json file'):
        read_json(tmp_path)
    (tmp_path / 'ok.json').write_text('{"a": [1, 2]}')
    assert read_json(tmp_path / 'ok.json') == {'a': [1, 2]}


def test_read_json_lines_skips_what_is_not_a_record(tmp_path):
    path = tmp_path / 'scalars.json'
    path.write_bytes(b'{"loss": 1.0, "step": 1}\n\n[1, 2]\nnot json\n'
                     b'{"acc": 5, "step": 1}\n{"loss": 0.5, "st')  # killed mid-write
    assert list(read_json_lines(path)) == [{'loss': 1.0, 'step': 1}, {'acc': 5, 'step': 1}]
