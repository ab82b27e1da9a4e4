"""A stacked classification head with BatchNorm and dropout between its layers.

Builds on mmpretrain's ``StackedLinearClsHead`` (hidden blocks ``fc -> norm -> act ->
dropout``) and adds an input block on the pooled backbone features
(``BN -> dropout``), i.e. the Keras-style transfer head
``GAP -> BN -> Dropout -> Dense -> BN -> ReLU -> Dropout -> Dense``.
"""
from typing import Optional, Sequence

import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmpretrain.models.heads import StackedLinearClsHead

from mmext.registry import CLS_MODELS


@CLS_MODELS.register_module()
class StackedBNDropoutClsHead(StackedLinearClsHead):
    """``StackedLinearClsHead`` with BN + dropout defaults and an input BN/dropout block.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Channels of the pooled backbone feature.
        mid_channels (Sequence[int]): Widths of the hidden layers. Defaults to (256, ).
        dropout_rate (float): Dropout after each hidden layer. Defaults to 0.5.
        norm_cfg (dict): Norm after each hidden fc. Defaults to ``BN1d``.
        input_norm (bool): BatchNorm on the input feature. Defaults to True.
        input_dropout_rate (float): Dropout on the input feature. Defaults to 0.2.
        **kwargs: Other ``StackedLinearClsHead`` arguments (``act_cfg``, ``loss``, ...).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 mid_channels: Sequence[int] = (256, ),
                 dropout_rate: float = 0.5,
                 norm_cfg: Optional[dict] = dict(type='BN1d'),
                 input_norm: bool = True,
                 input_dropout_rate: float = 0.2,
                 **kwargs):
        super().__init__(
            num_classes=num_classes,
            in_channels=in_channels,
            mid_channels=list(mid_channels),
            dropout_rate=dropout_rate,
            norm_cfg=norm_cfg,
            **kwargs)
        input_layers = []
        if input_norm:
            input_layers.append(build_norm_layer(dict(type='BN1d'), in_channels)[1])
        if input_dropout_rate > 0:
            input_layers.append(nn.Dropout(p=input_dropout_rate))
        self.input_block = nn.Sequential(*input_layers)

    def pre_logits(self, feats):
        """Input BN/dropout, then the hidden blocks; returns the penultimate feature."""
        x = self.input_block(feats[-1])
        for layer in self.layers[:-1]:
            x = layer(x)
        return x
