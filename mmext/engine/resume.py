"""``--resume`` without a path: the latest *intact* checkpoint of a work dir.

mmengine resumes from the file named in ``<work_dir>/last_checkpoint``. A checkpoint cut
short (a run killed while saving by a writer that is not atomic, a full disk, a partial
copy) would fail the resume; this falls back to the newest intact ``epoch_N.pth`` /
``iter_N.pth`` instead, with a warning naming both files.
"""
import glob
import logging
import os.path as osp
import re
import zipfile

from mmengine.logging import print_log


def is_intact_checkpoint(path) -> bool:
    """A complete zip checkpoint: central directory present, every member's CRC right."""
    try:
        with zipfile.ZipFile(path) as z:
            return (any(n.endswith('data.pkl') for n in z.namelist())
                    and z.testzip() is None)
    except (OSError, zipfile.BadZipFile, EOFError, ValueError):
        return False


def _candidates(work_dir):
    """The last_checkpoint target first, then epoch_/iter_ checkpoints, newest first."""
    found = []
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            last = f.read().strip()
        if last:
            found.append(last)
    numbered = []
    for path in glob.glob(osp.join(glob.escape(work_dir), '*.pth')):
        m = re.fullmatch(r'(epoch|iter)_(\d+)\.pth', osp.basename(path))
        if m:
            numbered.append((int(m.group(2)), path))
    found += [p for _, p in sorted(numbered, reverse=True) if p not in found]
    return found


def find_resumable_checkpoint(work_dir):
    """The newest intact checkpoint of ``work_dir`` (None when there is none)."""
    candidates = _candidates(work_dir)
    broken = []
    for path in candidates:
        if osp.isfile(path) and is_intact_checkpoint(path):
            if broken:
                print_log(f'{", ".join(broken)}: truncated or damaged checkpoint; resuming '
                          f'from the previous intact one, {path}', logger='current',
                          level=logging.WARNING)
            return path
        broken.append(path)
    if broken:
        print_log(f'no intact checkpoint to resume from in {work_dir} ({", ".join(broken)} '
                  'truncated or damaged); training starts afresh', logger='current',
                  level=logging.WARNING)
    return None
