from . import atomic_local_backend, checkpoint, cpu_distributed, hooks  # noqa: F401
from . import checkpoint_fit  # noqa: F401
