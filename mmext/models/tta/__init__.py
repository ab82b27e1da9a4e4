from .mask_merge import merge_instances, unflip_masks  # noqa: F401
from .mask_tta_model import MaskTTAModel  # noqa: F401
