"""Tools' one-line errors: InputError (also from a DataLoader worker) and registry typos."""
import pytest
from torch.utils.data import DataLoader, Dataset

from mmext.utils import InputError, exit_on_input_error


class _BadImage(Dataset):

    def __len__(self):
        return 2

    def __getitem__(self, i):
        raise InputError('/data/x.png: truncated PNG (no IEND chunk after the image data)')


def _exit_line(capsys, func, **kwargs):
    with pytest.raises(SystemExit) as info:
        with exit_on_input_error(**kwargs):
            func()
    err = capsys.readouterr().err
    assert info.value.code == 2 and err.count('\n') == 1
    return err.strip()


def test_error_from_a_dataloader_worker_is_its_own_line(capsys):
    loader = DataLoader(_BadImage(), num_workers=1)
    line = _exit_line(capsys, lambda: next(iter(loader)))
    assert line == 'error: /data/x.png: truncated PNG (no IEND chunk after the image data)'


def test_registry_typo_names_the_config(capsys):
    from mmengine.registry import MODELS

    def build():
        MODELS.build(dict(type='ImageClassifer'))

    line = _exit_line(capsys, build, config='my.py')
    assert line.startswith('error: config my.py: ImageClassifer is not in the ')
    assert line.endswith('registry')
    with pytest.raises(KeyError, match='other'):  # other KeyErrors stay tracebacks (bugs)
        with exit_on_input_error():
            {}['other']
