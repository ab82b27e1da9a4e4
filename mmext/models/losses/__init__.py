from .class_weighted_ce import ClassWeightedCrossEntropyLoss, class_weights_from_counts  # noqa: F401
