"""Importing mmext registers each part where its family's configs find it."""
import pytest
from mmengine.registry import DefaultScope

import mmext.modules  # noqa: F401  (registers mmext's modules)
from mmext.registry import (CLS_DATASETS, CLS_HOOKS, CLS_MODELS, DATA_SAMPLERS, DET_DATASETS,
                            DET_METRICS, DET_MODELS, HOOKS, MODEL_WRAPPERS)


@pytest.mark.parametrize('registry, name', [
    (CLS_DATASETS, 'CSVDataset'),
    (CLS_MODELS, 'StackedBNDropoutClsHead'),
    (CLS_MODELS, 'ClassWeightedCrossEntropyLoss'),
    (CLS_HOOKS, 'ClassificationReportHook'),
    (DET_DATASETS, 'ParticleDataset'),
    (DET_METRICS, 'IoUWeightedF1Metric'),
    (DET_MODELS, 'MaskTTAModel'),
    (MODEL_WRAPPERS, 'CPUDistributedDataParallel'),
])
def test_registered_in_family_registry(registry, name):
    assert name in registry.module_dict, f'{name} not in {registry.scope}::{registry.name}'


def test_family_parts_stay_in_their_family():
    assert 'CSVDataset' not in DET_DATASETS.module_dict
    assert 'ParticleDataset' not in CLS_DATASETS.module_dict


@pytest.mark.parametrize('scope', ['mmpretrain', 'mmdet'])
def test_shared_parts_found_from_both_scopes(scope):
    from mmdet.registry import DATA_SAMPLERS as DET_SAMPLERS
    from mmdet.registry import HOOKS as DET_HOOKS
    from mmpretrain.registry import DATA_SAMPLERS as CLS_SAMPLERS
    samplers, hooks = (CLS_SAMPLERS, CLS_HOOKS) if scope == 'mmpretrain' else (DET_SAMPLERS,
                                                                              DET_HOOKS)
    with DefaultScope.overwrite_default_scope(scope):
        assert samplers.get('ClassBalancedSampler') is DATA_SAMPLERS.get('ClassBalancedSampler')
        assert hooks.get('EvalBeforeTrainHook') is HOOKS.get('EvalBeforeTrainHook')
