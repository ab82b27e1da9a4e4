"""A full disk (ENOSPC when the data reaches the disk) while a checkpoint or a report file
is written leaves the previous file intact and no temporary behind."""
import errno
import os

import pytest
import torch
from mmengine.runner.checkpoint import save_checkpoint

import mmext.engine  # noqa: F401  (mmengine's local backend writes atomically)
from mmext.reports.tables import write_table


def _full_disk(monkeypatch):
    def fsync(fd):
        raise OSError(errno.ENOSPC, 'No space left on device')
    monkeypatch.setattr(os, 'fsync', fsync)


def test_checkpoint_save_on_full_disk_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = str(tmp_path / 'epoch_1.pth')
    save_checkpoint({'state_dict': {'w': torch.ones(3)}, 'meta': {'epoch': 1}}, path)
    before = (tmp_path / 'epoch_1.pth').read_bytes()
    _full_disk(monkeypatch)
    with pytest.raises(OSError) as info:
        save_checkpoint({'state_dict': {'w': torch.zeros(3)}, 'meta': {'epoch': 2}}, path)
    assert info.value.errno == errno.ENOSPC
    monkeypatch.undo()
    assert (tmp_path / 'epoch_1.pth').read_bytes() == before
    assert torch.load(path, weights_only=True)['state_dict']['w'].tolist() == [1, 1, 1]
    assert sorted(os.listdir(tmp_path)) == ['epoch_1.pth']


def test_report_table_on_full_disk_keeps_the_previous_table(tmp_path, monkeypatch):
    path = tmp_path / 'per_class.csv'
    write_table(str(path), ['class', 'f1'], [['a', 0.5]])
    _full_disk(monkeypatch)
    with pytest.raises(OSError):
        write_table(str(path), ['class', 'f1'], [['a', 0.9], ['b', 0.1]])
    monkeypatch.undo()
    assert path.read_text().splitlines() == ['class,f1', 'a,0.5']
    assert sorted(os.listdir(tmp_path)) == ['per_class.csv']
