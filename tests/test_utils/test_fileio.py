"""Crash-safe outputs: umask's mode, fsync before rename, no clobber at write time."""
import os
import stat

import pytest

from mmext.utils import InputError, atomic_outputs, atomic_save, atomic_write


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    yield
    os.umask(old)


def test_mode_follows_umask(tmp_path, umask_027):
    with atomic_write(tmp_path / 'a.json') as f:
        f.write('{}')
    atomic_save(lambda tmp: open(tmp, 'w').write('png'), tmp_path / 'b.png')
    for name in ('a.json', 'b.png'):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o640
    assert sorted(os.listdir(tmp_path)) == ['a.json', 'b.png']  # no temporaries left


def test_fsync_before_rename(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, 'fsync', lambda fd: events.append('fsync') or real_fsync(fd))
    monkeypatch.setattr(os, 'replace', lambda a, b: events.append('rename') or real_replace(a, b))
    with atomic_write(tmp_path / 'out.txt') as f:
        f.write('x')
    assert events[:2] == ['fsync', 'rename'] and 'fsync' in events[2:]  # then the folder
    assert (tmp_path / 'out.txt').read_text() == 'x'


def test_no_clobber_is_checked_at_write_time(tmp_path):
    target = tmp_path / 'sub.json'
    with pytest.raises(InputError, match='sub.json exists; pass --force'):
        with atomic_write(target, overwrite=False) as f:
            f.write('new')
            target.write_text('written meanwhile by someone else')
    assert target.read_text() == 'written meanwhile by someone else'
    assert os.listdir(tmp_path) == ['sub.json']
    with atomic_write(target, overwrite=True) as f:
        f.write('new')
    assert target.read_text() == 'new'


def test_group_is_all_or_nothing(tmp_path):
    (tmp_path / 'b.json').write_text('old b')
    with pytest.raises(InputError, match='b.json exists'):
        with atomic_outputs(overwrite=False) as out:
            out.open(tmp_path / 'a.json').write('a')
            out.open(tmp_path / 'b.json').write('b')
    assert sorted(os.listdir(tmp_path)) == ['b.json']
    with pytest.raises(RuntimeError):
        with atomic_outputs() as out:
            out.open(tmp_path / 'a.json').write('a')
            raise RuntimeError('crash while writing')
    assert sorted(os.listdir(tmp_path)) == ['b.json']
    with atomic_outputs() as out:
        out.open(tmp_path / 'a.json').write('a')
        out.open(tmp_path / 'b.json').write('b')
    assert (tmp_path / 'a.json').read_text() == 'a' and (tmp_path / 'b.json').read_text() == 'b'


def test_no_clobber_without_hard_links(tmp_path, monkeypatch):
    def no_links(src, dst):
        raise PermissionError('hard links not supported')

    monkeypatch.setattr(os, 'link', no_links)
    with atomic_write(tmp_path / 'a.txt', overwrite=False) as f:
        f.write('a')
    assert os.listdir(tmp_path) == ['a.txt'] and (tmp_path / 'a.txt').read_text() == 'a'
    with pytest.raises(InputError, match='a.txt exists'):
        with atomic_write(tmp_path / 'a.txt', overwrite=False) as f:
            f.write('b')
    assert (tmp_path / 'a.txt').read_text() == 'a'
