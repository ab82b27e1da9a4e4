from . import atomic_local_backend, checkpoint, cpu_distributed, hooks  # noqa: F401
