"""Log the class balance of a classification run before training starts.

Before the first iteration (and again after ``--resume``) this hook logs, per class,
the number of training and validation samples and how many samples the training
sampler draws in one epoch; and it hands the training counts to every model part with
a ``set_class_counts(counts)`` method (``ClassWeightedCrossEntropyLoss``).
"""
import itertools

import numpy as np
import torch
from mmengine.dist import all_reduce
from mmengine.hooks import Hook

from mmext.datasets.class_counts import class_counts, dataset_classes, dataset_labels
from mmext.registry import HOOKS


def sampler_draw_counts(sampler, labels, num_classes):
    """Per-class draws of the sampler's next epoch over all ranks.

    Uses the sampler's ``expected_class_counts()`` when it has one (the class-balanced
    sampler, expectations for random weighted draws); otherwise counts the indices of
    one pass (``len(sampler)`` of them) and sums them over the ranks.
    """
    if hasattr(sampler, 'expected_class_counts'):
        return np.asarray(sampler.expected_class_counts(), dtype=float)
    indices = list(itertools.islice(iter(sampler), len(sampler)))
    counts = torch.as_tensor(class_counts(labels[indices], num_classes), dtype=torch.float64)
    all_reduce(counts, op='sum')
    return counts.numpy()


@HOOKS.register_module()
class ClassCountsHook(Hook):
    """Log per-class train/val counts and sampler draws; feed counts to the loss."""

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        dataloader = runner.train_dataloader
        train_set = dataloader.dataset
        labels = dataset_labels(train_set)
        classes = dataset_classes(train_set)
        num_classes = len(classes) if classes else int(labels.max()) + 1
        classes = classes or tuple(str(i) for i in range(num_classes))
        train_counts = class_counts(labels, num_classes)

        columns = {'train': train_counts.astype(float)}
        val_loop = getattr(runner, '_val_loop', None)
        if val_loop is not None and hasattr(val_loop, 'dataloader'):
            columns['val'] = class_counts(dataset_labels(val_loop.dataloader.dataset),
                                          num_classes).astype(float)
        sampler = dataloader.sampler
        columns[f'drawn/epoch ({type(sampler).__name__})'] = sampler_draw_counts(
            sampler, labels, num_classes)

        for module in runner.model.modules():
            if hasattr(module, 'set_class_counts'):
                module.set_class_counts(train_counts)
                columns[f'{type(module).__name__} weight'] = np.asarray(module.class_weight)

        runner.logger.info('class balance before training:\n' + format_table(classes, columns))
        if (train_counts == 0).any():
            missing = [c for c, n in zip(classes, train_counts) if n == 0]
            runner.logger.warning(f'classes without training samples: {", ".join(missing)}')


def format_table(classes, columns):
    """A plain-text table: one row per class plus a total row."""
    names = ['class'] + list(columns)
    rows = [[c] + [_fmt(col[i]) for col in columns.values()] for i, c in enumerate(classes)]
    rows.append(['total'] + [_fmt(np.sum(col)) if 'weight' not in name else ''
                             for name, col in columns.items()])
    widths = [max(len(r[j]) for r in rows + [names]) for j in range(len(names))]
    lines = ['  '.join(n.ljust(w) if j == 0 else n.rjust(w)
                       for j, (n, w) in enumerate(zip(row, widths)))
             for row in [names] + rows]
    return '\n'.join(lines)


def _fmt(value):
    value = float(value)
    return f'{value:.0f}' if value.is_integer() else f'{value:.3f}'
