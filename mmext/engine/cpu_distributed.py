"""Distributed training on machines without a GPU (gloo backend).

mmengine's launcher pins each process to a CUDA device and passes ``device_ids`` to
``DistributedDataParallel``; both fail without a GPU. The tools call
:func:`setup_cpu_distributed`, which starts the gloo process group itself (mmengine
then skips its own init) and selects :class:`CPUDistributedDataParallel`.
"""
import os

import torch
import torch.distributed as dist
from mmengine.model import MMDistributedDataParallel

from ..registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` for a module on the CPU (no ``device_ids``)."""

    def __init__(self, module, device_ids=None, **kwargs):
        super().__init__(module=module, device_ids=None, **kwargs)


def setup_cpu_distributed(cfg, launcher):
    """Start a gloo process group for ``--launcher pytorch`` when no GPU is present.

    Returns True when it did; the config then wraps the model for the CPU.
    """
    if launcher != 'pytorch' or torch.cuda.is_available() or dist.is_initialized():
        return False
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    dist.init_process_group(backend='gloo', rank=int(os.environ['RANK']),
                            world_size=int(os.environ['WORLD_SIZE']))
    wrapper = cfg.get('model_wrapper_cfg') or {}
    wrapper['type'] = 'CPUDistributedDataParallel'
    cfg.model_wrapper_cfg = wrapper
    return True
