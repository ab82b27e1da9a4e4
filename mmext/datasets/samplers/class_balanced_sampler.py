"""Class-balanced sampling for imbalanced classification, chosen in the config.

``train_dataloader.sampler = dict(type='ClassBalancedSampler', mode='inverse')``.

What upstream already has, and what this adds:

- mmengine's ``ClassBalancedDataset`` wraps the dataset with fixed per-image repeat
  factors ``max(1, sqrt(t / f_c))`` (LVIS): the repeats are the same every epoch, and
  only classes under the frequency threshold ``t`` are boosted.
- mmdet's ``ClassAwareSampler`` cycles through the classes uniformly (equal class
  frequencies only) and hands each rank a contiguous block of the draw.
- This sampler (built on mmengine's ``DefaultSampler`` for rank, world size, shared
  seed and ``set_epoch``) offers three weightings: ``inverse`` (class weight 1/n, every
  class drawn equally often in expectation), ``sqrt`` (1/sqrt(n), a milder correction)
  and ``oversample`` (every epoch each class is drawn exactly as often as the largest
  class: the whole minority set repeated, then topped up by a random subset, which is
  the on-the-fly version of duplicating augmented minority images on disk), plus
  ``uniform`` (no correction, every image equally likely: the baseline when comparing
  the modes at one ``num_samples``). A new
  draw is made each epoch from ``seed + epoch``; under distributed training the epoch's
  draw is padded to a multiple of the world size and rank ``r`` takes positions
  ``r, r + world_size, ...``, so ranks get equal, disjoint shares that together cover it.
  ``expected_class_counts()`` says what one epoch draws per class (logged by
  ``ClassCountsHook``).
"""
import math
from typing import Iterator, Optional

import numpy as np
import torch
from mmengine.dataset import DefaultSampler

from mmext.datasets.class_counts import class_counts, dataset_classes, dataset_labels
from mmext.registry import DATA_SAMPLERS

MODES = ('inverse', 'sqrt', 'oversample', 'uniform')
POWERS = {'inverse': 1.0, 'sqrt': 0.5, 'uniform': 0.0}


@DATA_SAMPLERS.register_module()
class ClassBalancedSampler(DefaultSampler):
    """Draw training samples with per-class weights; reseeded every epoch.

    Args:
        dataset: A classification dataset (``get_gt_labels`` or ``get_cat_ids``).
        mode (str): ``'inverse'``, ``'sqrt'``, ``'oversample'`` or ``'uniform'``.
        num_samples (int, optional): Draws per epoch over all ranks for ``inverse``,
            ``sqrt`` and ``uniform`` (with replacement). Defaults to the dataset length.
            Not used by
            ``oversample``, whose epoch is ``largest class count x number of classes``.
        seed (int, optional): Shared random seed; ``None`` draws one and syncs it
            across ranks (``mmengine.dist.sync_random_seed``).
    """

    def __init__(self,
                 dataset,
                 mode: str = 'inverse',
                 num_samples: Optional[int] = None,
                 seed: Optional[int] = None) -> None:
        if mode not in MODES:
            raise ValueError(f'ClassBalancedSampler mode {mode!r}: use one of {MODES}')
        super().__init__(dataset, shuffle=True, seed=seed, round_up=True)
        self.mode = mode
        self.labels = dataset_labels(dataset)
        classes = dataset_classes(dataset)
        self.counts = class_counts(self.labels, None if classes is None else len(classes))
        present = self.counts > 0
        if not present.any():
            raise ValueError('ClassBalancedSampler: the dataset is empty')

        if mode == 'oversample':
            if num_samples is not None:
                raise ValueError("ClassBalancedSampler: num_samples does not apply to "
                                 "mode='oversample'")
            self.epoch_size = int(self.counts.max()) * int(present.sum())
        else:
            self.epoch_size = int(num_samples or len(self.labels))
            power = POWERS[mode]
            class_weight = np.zeros(len(self.counts))
            class_weight[present] = self.counts[present].astype(float)**-power
            self.sample_weights = torch.as_tensor(class_weight[self.labels],
                                                  dtype=torch.double)
        self.num_samples = math.ceil(self.epoch_size / self.world_size)
        self.total_size = self.num_samples * self.world_size

    def expected_class_counts(self) -> np.ndarray:
        """Per-class draws of one epoch over all ranks (expected values for
        ``inverse``/``sqrt``, exact for ``oversample``; padding not counted)."""
        if self.mode == 'oversample':
            return np.where(self.counts > 0, self.counts.max(), 0).astype(float)
        mass = np.bincount(self.labels, weights=self.sample_weights.numpy(),
                           minlength=len(self.counts))
        return self.epoch_size * mass / mass.sum()

    def _draw_epoch(self, generator: torch.Generator) -> torch.Tensor:
        if self.mode != 'oversample':
            return torch.multinomial(
                self.sample_weights, self.epoch_size, replacement=True, generator=generator)
        target = int(self.counts.max())
        labels = torch.as_tensor(self.labels)
        parts = []
        for label in np.flatnonzero(self.counts):
            members = torch.nonzero(labels == int(label)).flatten()
            repeats, extra = divmod(target, len(members))
            topup = members[torch.randperm(len(members), generator=generator)[:extra]]
            parts.append(torch.cat([members.repeat(repeats), topup]))
        draw = torch.cat(parts)
        return draw[torch.randperm(len(draw), generator=generator)]

    def __iter__(self) -> Iterator[int]:
        generator = torch.Generator()
        generator.manual_seed(self.seed + self.epoch)
        indices = self._draw_epoch(generator).tolist()
        # pad to a multiple of the world size by repeating the start of the draw
        indices = (indices * math.ceil(self.total_size / len(indices)))[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.world_size])
