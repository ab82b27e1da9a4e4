from .distance_watershed import DistanceWatershed  # noqa: F401
