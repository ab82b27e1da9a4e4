"""Atomic file writing: a reader never sees a half-written output."""
import contextlib
import os
import os.path as osp
import tempfile


@contextlib.contextmanager
def atomic_write(path, mode='w', **open_kwargs):
    """Open a temporary file beside ``path``; rename it onto ``path`` on success.

    On an exception the temporary file is removed and ``path`` is left untouched.
    """
    path = os.fspath(path)
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f'.{osp.basename(path)}.', suffix='.tmp')
    try:
        with os.fdopen(fd, mode, **open_kwargs) as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


def atomic_save(save_fn, path):
    """Call ``save_fn(tmp_path)`` (e.g. ``plt.savefig``), then rename onto ``path``."""
    path = os.fspath(path)
    root, ext = osp.splitext(path)
    tmp = f'{root}.tmp{os.getpid()}{ext}'
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    try:
        save_fn(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise
