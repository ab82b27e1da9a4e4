"""mmengine's local file backend with crash-safe writes.

Registered in place of mmengine's ``'local'`` backend (its documented extension point,
``register_backend(..., force=True)``), so every local ``put``/``put_text`` of mmengine
(checkpoints from ``CheckpointHook`` / ``Runner.save_checkpoint``, ``mmengine.dump``)
writes a temporary file beside the target, fsyncs it and renames it: a run killed while
saving leaves the previous checkpoint intact and never a truncated one.
"""
from mmengine.fileio import LocalBackend, register_backend

from mmext.utils import atomic_write


class AtomicLocalBackend(LocalBackend):
    """``LocalBackend`` whose writes are atomic (temporary file, fsync, rename)."""

    def put(self, obj: bytes, filepath) -> None:
        with atomic_write(filepath, 'wb') as f:
            f.write(obj)

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        with atomic_write(filepath, 'w', encoding=encoding) as f:
            f.write(obj)


register_backend('local', AtomicLocalBackend, force=True, prefixes='')
