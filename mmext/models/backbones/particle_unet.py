"""A small U-Net for dense per-pixel maps, trainable from scratch on a CPU."""
import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import nn

from mmext.registry import DET_MODELS


def _double_conv(in_channels, out_channels, norm_cfg):
    return nn.Sequential(
        ConvModule(in_channels, out_channels, 3, padding=1, norm_cfg=norm_cfg),
        ConvModule(out_channels, out_channels, 3, padding=1, norm_cfg=norm_cfg))


@DET_MODELS.register_module()
class ParticleUNet(BaseModule):
    """U-Net: ``num_stages`` resolutions (each halving the previous one), two 3x3
    conv-BN-ReLU per stage on the way down and up, skip connections by concatenation,
    and a 1x1 conv to ``out_channels`` maps at the input's resolution.

    Args:
        in_channels (int): image channels.
        base_channels (int): channels of the full-resolution stage; doubled per stage up
            to ``max_channels``.
        num_stages (int): resolutions; the input's sides must be divisible by
            ``2 ** (num_stages - 1)`` (``pad_size_divisor`` of the data preprocessor).
        out_channels (int): output maps (logits).
        channels_last (bool): run in channels-last memory format (measured 1.3x faster
            per CPU training step than contiguous NCHW at 256 px, batch 8).
    """

    def __init__(self, in_channels=3, base_channels=16, max_channels=256, num_stages=5,
                 out_channels=2, norm_cfg=dict(type='BN'), channels_last=True,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        widths = [min(base_channels * 2**i, max_channels) for i in range(num_stages)]
        self.size_divisor = 2**(num_stages - 1)
        self.down = nn.ModuleList()
        prev = in_channels
        for width in widths:
            self.down.append(_double_conv(prev, width, norm_cfg))
            prev = width
        self.up = nn.ModuleList(
            _double_conv(widths[i + 1] + widths[i], widths[i], norm_cfg)
            for i in reversed(range(num_stages - 1)))
        self.head = nn.Conv2d(widths[0], out_channels, 1)
        self.channels_last = channels_last
        if channels_last:
            self.to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2] % self.size_divisor or x.shape[-1] % self.size_divisor:
            raise ValueError(f'ParticleUNet input {tuple(x.shape[-2:])}: sides must be '
                             f'multiples of {self.size_divisor} (pad_size_divisor)')
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        skips = []
        for i, stage in enumerate(self.down):
            if i:
                x = F.max_pool2d(x, 2)
            x = stage(x)
            skips.append(x)
        x = skips.pop()
        for stage in self.up:
            skip = skips.pop()
            x = F.interpolate(x, size=skip.shape[-2:], mode='bilinear', align_corners=False)
            x = stage(torch.cat([x, skip], dim=1))
        return self.head(x).contiguous()
