"""Crash-safe file writing: a reader never sees a half-written output.

Every output goes to a temporary file beside its target, created with the mode the
umask gives a new file; on success it is flushed, ``fsync``-ed and renamed onto the
target (then the folder is ``fsync``-ed). With ``overwrite=False`` an existing target
is never replaced: the check happens when the file is put in place (a hard link,
which fails if the target appeared meanwhile), not only before the work started.
On an exception the temporaries are removed and the targets are left untouched.
"""
import contextlib
import os
import os.path as osp
import tempfile

from .errors import InputError


def _new_file_mode():
    """The mode ``open()`` gives a new file: 0o666 less the process umask."""
    try:
        with open('/proc/self/status') as f:  # reading it does not change it (Linux)
            umask = next(int(line.split()[1], 8) for line in f if line.startswith('Umask:'))
    except (OSError, StopIteration, ValueError):
        umask = os.umask(0o022)
        os.umask(umask)
    return 0o666 & ~umask


def _fsync_path(path, directory=False):
    fd = os.open(path, os.O_RDONLY | (getattr(os, 'O_DIRECTORY', 0) if directory else 0))
    try:
        os.fsync(fd)
    except OSError:  # some file systems cannot fsync a folder
        if not directory:
            raise
    finally:
        os.close(fd)


def _exists_error(path):
    return InputError(f'{path} exists; pass --force to overwrite it')


class OutputGroup:
    """Files staged as temporaries and put in place together by :meth:`commit`."""

    def __init__(self, overwrite=True):
        self.overwrite = overwrite
        self._staged = []  # (open file or None, tmp path, target path)

    def _temporary(self, path, suffix='.tmp'):
        path = os.fspath(path)
        if not self.overwrite and osp.lexists(path):
            raise _exists_error(path)
        folder = osp.dirname(osp.abspath(path))
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f'.{osp.basename(path)}.', suffix=suffix)
        os.fchmod(fd, _new_file_mode())
        return fd, tmp, path

    def open(self, path, mode='w', **open_kwargs):
        """A file object writing the temporary of ``path``."""
        fd, tmp, path = self._temporary(path)
        try:
            f = os.fdopen(fd, mode, **open_kwargs)
        except BaseException:
            os.close(fd)
            os.remove(tmp)
            raise
        self._staged.append((f, tmp, path))
        return f

    def save(self, save_fn, path):
        """``save_fn(tmp_path)`` writes the temporary (it keeps ``path``'s extension)."""
        fd, tmp, path = self._temporary(path, suffix='.tmp' + osp.splitext(path)[1])
        os.close(fd)
        self._staged.append((None, tmp, path))
        save_fn(tmp)

    def commit(self):
        for f, tmp, _ in self._staged:
            if f is not None:
                f.flush()
                os.fsync(f.fileno())
                f.close()
            else:
                _fsync_path(tmp)
        if not self.overwrite:
            for _, _, path in self._staged:
                if osp.lexists(path):
                    raise _exists_error(path)
        folders = set()
        for _, tmp, path in self._staged:
            if self.overwrite:
                os.replace(tmp, path)
            else:
                try:
                    os.link(tmp, path)  # fails if path exists: no clobber
                except FileExistsError:
                    raise _exists_error(path) from None
                except OSError:  # no hard links on this file system: check, then rename
                    if osp.lexists(path):
                        raise _exists_error(path) from None
                    os.replace(tmp, path)
                else:
                    os.remove(tmp)
            folders.add(osp.dirname(osp.abspath(path)))
        self._staged = []
        for folder in folders:
            _fsync_path(folder, directory=True)

    def discard(self):
        for f, tmp, _ in self._staged:
            if f is not None:
                with contextlib.suppress(OSError):
                    f.close()
            with contextlib.suppress(FileNotFoundError):
                os.remove(tmp)
        self._staged = []


@contextlib.contextmanager
def atomic_outputs(overwrite=True):
    """Yield an :class:`OutputGroup`; its files are put in place when the block ends."""
    group = OutputGroup(overwrite)
    try:
        yield group
        group.commit()
    except BaseException:
        group.discard()
        raise


@contextlib.contextmanager
def atomic_write(path, mode='w', overwrite=True, **open_kwargs):
    """Open a temporary file beside ``path``; put it onto ``path`` on success."""
    with atomic_outputs(overwrite) as group:
        yield group.open(path, mode, **open_kwargs)


def atomic_save(save_fn, path, overwrite=True):
    """Call ``save_fn(tmp_path)`` (e.g. ``plt.savefig``), then put it onto ``path``."""
    with atomic_outputs(overwrite) as group:
        group.save(save_fn, path)


def _writable_folder(path):
    """The nearest existing folder at or above ``path``; :class:`InputError` when that is a
    file or cannot be written."""
    folder = osp.abspath(path)
    while not osp.lexists(folder):
        folder = osp.dirname(folder)
    if not osp.isdir(folder):
        raise InputError(f'{path}: cannot write there, {folder} is a file')
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f'{path}: cannot write there, {folder} is not writable')
    return folder


def check_outputs(paths, force=False, folders=()):
    """Refuse, before the work, output files that cannot be written: a parent that is a
    file or not writable, a path that is a folder, one that exists without ``force``
    (``--force``); ``folders`` are output folders (checked writable, not a file)."""
    for path in folders:
        if path is not None:
            _writable_folder(path)
    for path in paths:
        if path is None:
            continue
        if osp.isdir(path):
            raise InputError(f'{path}: is a folder, not a file')
        _writable_folder(osp.dirname(osp.abspath(path)))
        if osp.lexists(path) and not force:
            raise _exists_error(path)


def write_file_set(writers, stale=(), force=False):
    """Write a set of files all or nothing: ``writers`` maps a path to ``fn(file)``; all
    are staged as temporaries before any is put in place. Then remove the ``stale``
    members of an earlier set (paths not written this time); return those removed."""
    check_outputs(writers, force)
    with atomic_outputs(overwrite=True) as group:
        for path, write in writers.items():
            write(group.open(path, 'w', encoding='utf-8', newline=''))
    removed = [p for p in stale if p not in writers and osp.isfile(p)]
    for path in removed:
        os.remove(path)
    return removed
