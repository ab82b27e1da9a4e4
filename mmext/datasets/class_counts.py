"""Per-sample labels and per-class counts of a classification dataset.

Works on mmpretrain datasets and on mmengine's wrappers (``ConcatDataset``,
``RepeatDataset``, ``ClassBalancedDataset``) through ``get_cat_ids``; the sampler,
the class-weighted loss and the counts hook all read the training labels this way.
"""
import numpy as np


def dataset_labels(dataset):
    """Return the label index of every sample of ``dataset`` as an int64 array."""
    if hasattr(dataset, 'get_gt_labels'):
        return np.asarray(dataset.get_gt_labels(), dtype=np.int64).reshape(-1)
    if not hasattr(dataset, 'get_cat_ids'):
        raise TypeError(f'{type(dataset).__name__} has neither get_gt_labels() nor '
                        'get_cat_ids(); cannot read its class labels')
    return np.array([dataset.get_cat_ids(i)[0] for i in range(len(dataset))],
                    dtype=np.int64)


def dataset_classes(dataset):
    """Class names from the dataset's metainfo (``None`` when it has none)."""
    classes = getattr(dataset, 'metainfo', {}).get('classes')
    return None if classes is None else tuple(classes)


def class_counts(labels, num_classes=None):
    """Count how many samples each class index holds (length ``num_classes``)."""
    labels = np.asarray(labels, dtype=np.int64)
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    return np.bincount(labels, minlength=num_classes)[:num_classes]

