"""Reading JSON files: one document naming the file on bad input, or JSON-lines logs."""
import json
from typing import Iterator

from .errors import InputError


def read_json(path):
    """The parsed json of ``path``; a missing, non-UTF-8 or malformed file is one
    :class:`InputError` line naming it."""
    try:
        with open(path, 'rb') as f:
            return json.loads(f.read())
    except FileNotFoundError:
        raise InputError(f'{path}: no such file') from None
    except IsADirectoryError:
        raise InputError(f'{path}: is a folder, not a json file') from None
    except UnicodeDecodeError as e:
        raise InputError(f'{path}: not UTF-8 text ({e.reason} at byte {e.start})') from None
    except json.JSONDecodeError as e:
        raise InputError(f'{path}: not valid JSON ({e})') from None
    except RecursionError:
        raise InputError(f'{path}: not valid JSON (nested too deeply)') from None


def read_json_lines(path) -> Iterator[dict]:
    """The JSON objects of a JSON-lines file, one a line (mmengine's ``vis_data/*.json``
    scalar logs); blank, cut-off or non-object lines (a run killed mid-write) are skipped."""
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            line = line.strip()
            if line.startswith('{'):
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(record, dict):
                    yield record
