from . import checkpoint, cpu_distributed, hooks  # noqa: F401
