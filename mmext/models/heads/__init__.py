from .stacked_bn_dropout_head import StackedBNDropoutClsHead  # noqa: F401
