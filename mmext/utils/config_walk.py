"""The one walker of a config's datasets and evaluators: every dataloader's dataset (dataset
wrappers included), every metric of the val/test evaluators, the wrapped dataset that holds
a given key."""

DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
EVALUATORS = ('val_evaluator', 'test_evaluator')


def iter_datasets(cfg):
    """Yield ``(dataloader name, dataset dict)`` for each dataset of the config,
    including those inside dataset wrappers (``dataset=`` / ``datasets=[...]``)."""
    for name in DATALOADERS:
        loader = cfg.get(name)
        if not isinstance(loader, dict):
            continue
        stack = [loader.get('dataset')]
        while stack:
            dataset = stack.pop()
            if isinstance(dataset, dict):
                yield name, dataset
                stack.append(dataset.get('dataset'))
                stack.extend(dataset.get('datasets') or [])


def iter_evaluators(cfg, names=EVALUATORS):
    """Yield ``(dotted path, metric dict)`` for each metric of the evaluators ``names``
    (a metric dict, a list of them, or an ``Evaluator`` dict with ``metrics=``)."""
    for name in names:
        evaluator = cfg.get(name)
        if isinstance(evaluator, dict) and 'metrics' in evaluator:
            name, evaluator = f'{name}.metrics', evaluator['metrics']
        if isinstance(evaluator, dict):
            yield name, evaluator
        elif isinstance(evaluator, (list, tuple)):
            for i, metric in enumerate(evaluator):
                if isinstance(metric, dict):
                    yield f'{name}.{i}', metric


def inner_dataset(dataset, key):
    """``(dotted path below dataset, dict)`` of the first dataset dict, going into
    wrappers (``dataset=``), that holds ``key`` (e.g. ``'pipeline'``, ``'ann_file'``); the
    innermost dataset when none does."""
    path, node = '', dataset
    while key not in node and isinstance(node.get('dataset'), dict):
        path, node = f'{path}.dataset', node['dataset']
    return path, node
