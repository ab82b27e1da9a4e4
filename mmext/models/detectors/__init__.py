from .distance_watershed import DistanceWatershed  # noqa: F401
from .sliced_mask_rcnn import SlicedMaskRCNN  # noqa: F401
