"""Numbers of a single-label classification report, computed without a runner.

Every function takes plain arrays: ``scores`` (N, C) class probabilities,
``gt_labels`` (N,) integer labels. Accuracy, per-class precision/recall/F1/support
and the confusion matrix come from mmpretrain's metrics (``Accuracy``,
``SingleLabelMetric``, ``ConfusionMatrix``); balanced accuracy, ROC, PR and t-SNE
come from scikit-learn. Precision, recall, F1 and accuracy are fractions in [0, 1].
"""
import warnings

import numpy as np
import torch
from mmpretrain.evaluation import Accuracy, ConfusionMatrix, SingleLabelMetric
from sklearn.metrics import (auc, average_precision_score, balanced_accuracy_score,
                             precision_recall_curve, roc_curve)


def _as_numpy(scores, gt_labels):
    scores = np.asarray(scores, dtype=np.float64)
    gt_labels = np.asarray(gt_labels, dtype=np.int64)
    if scores.ndim != 2 or gt_labels.shape != (scores.shape[0], ):
        raise ValueError(f'scores must be (N, C) and gt_labels (N,), got {scores.shape} '
                         f'and {gt_labels.shape}')
    return scores, gt_labels


def summary_metrics(scores, gt_labels, topk=(1, )):
    """Accuracy (top-k, mmpretrain ``Accuracy``) and balanced accuracy (sklearn)."""
    scores, gt_labels = _as_numpy(scores, gt_labels)
    topk = tuple(sorted({1, *(k for k in topk if k <= scores.shape[1])}))
    accs = Accuracy.calculate(torch.from_numpy(scores), torch.from_numpy(gt_labels),
                              topk=topk, thrs=(None, ))
    out = {'accuracy': float(accs[0][0]) / 100}
    for k, acc in zip(topk, accs):
        if k != 1:
            out[f'accuracy_top{k}'] = float(acc[0]) / 100
    out['balanced_accuracy'] = float(
        balanced_accuracy_score(gt_labels, scores.argmax(1)))
    out['num_samples'] = int(len(gt_labels))
    return out


def per_class_report(scores, gt_labels):
    """Per-class precision/recall/F1/support plus macro and weighted averages.

    Returns a list of dict rows ``{'class': index or 'macro avg' / 'weighted avg',
    'precision', 'recall', 'f1-score', 'support'}``; a class never predicted gets
    precision 0 (mmpretrain's convention, same as sklearn's ``zero_division=0``).
    """
    scores, gt_labels = _as_numpy(scores, gt_labels)
    num_classes = scores.shape[1]
    pred = torch.from_numpy(scores.argmax(1))
    gt = torch.from_numpy(gt_labels)
    p, r, f1, support = (t.numpy().astype(np.float64) for t in SingleLabelMetric.calculate(
        pred, gt, average=None, num_classes=num_classes))
    p, r, f1 = p / 100, r / 100, f1 / 100
    rows = [
        dict(zip(('class', 'precision', 'recall', 'f1-score', 'support'),
                 (c, p[c], r[c], f1[c], int(support[c])))) for c in range(num_classes)
    ]
    total = int(support.sum())
    weights = support / max(total, 1)
    rows.append({'class': 'macro avg', 'precision': p.mean(), 'recall': r.mean(),
                 'f1-score': f1.mean(), 'support': total})
    rows.append({'class': 'weighted avg', 'precision': float(weights @ p),
                 'recall': float(weights @ r), 'f1-score': float(weights @ f1),
                 'support': total})
    return rows


def confusion_matrices(scores, gt_labels):
    """Confusion matrix (rows = true, columns = predicted): counts and row-normalised."""
    scores, gt_labels = _as_numpy(scores, gt_labels)
    counts = ConfusionMatrix.calculate(torch.from_numpy(scores),
                                       torch.from_numpy(gt_labels)).numpy()
    row_sums = counts.sum(1, keepdims=True)
    normalized = counts / np.maximum(row_sums, 1)
    return counts.astype(np.int64), normalized


def _one_vs_rest(gt_labels, num_classes):
    return np.eye(num_classes, dtype=np.int64)[gt_labels]


def roc_report(scores, gt_labels):
    """One-vs-rest ROC curves and AUCs.

    Returns ``{'curves': {name: (fpr, tpr, thresholds)}, 'auc': {name: value}}``
    with names ``0..C-1``, ``'micro'`` (all one-vs-rest decisions pooled) and
    ``'macro'`` (mean of the per-class AUCs that are defined). A class with no
    positive or no negative sample has no ROC curve; its AUC is NaN.
    """
    scores, gt_labels = _as_numpy(scores, gt_labels)
    onehot = _one_vs_rest(gt_labels, scores.shape[1])
    curves, aucs = {}, {}
    for c in range(scores.shape[1]):
        if 0 < onehot[:, c].sum() < len(onehot):
            fpr, tpr, thr = roc_curve(onehot[:, c], scores[:, c])
            curves[c] = (fpr, tpr, thr)
            aucs[c] = float(auc(fpr, tpr))
        else:
            aucs[c] = float('nan')
    if len(np.unique(onehot)) == 2:
        fpr, tpr, thr = roc_curve(onehot.ravel(), scores.ravel())
        curves['micro'] = (fpr, tpr, thr)
        aucs['micro'] = float(auc(fpr, tpr))
    defined = [aucs[c] for c in range(scores.shape[1]) if not np.isnan(aucs[c])]
    aucs['macro'] = float(np.mean(defined)) if defined else float('nan')
    return {'curves': curves, 'auc': aucs}


def pr_report(scores, gt_labels):
    """One-vs-rest precision-recall curves and average precision (AP) per class.

    Returns ``{'curves': {name: (precision, recall, thresholds)}, 'ap': {name: value}}``
    with per-class names, ``'micro'`` and ``'macro'`` (mean AP of classes present);
    AP of a class without positive samples is NaN.
    """
    scores, gt_labels = _as_numpy(scores, gt_labels)
    onehot = _one_vs_rest(gt_labels, scores.shape[1])
    curves, aps = {}, {}
    for c in range(scores.shape[1]):
        if onehot[:, c].any():
            curves[c] = precision_recall_curve(onehot[:, c], scores[:, c])
            aps[c] = float(average_precision_score(onehot[:, c], scores[:, c]))
        else:
            aps[c] = float('nan')
    curves['micro'] = precision_recall_curve(onehot.ravel(), scores.ravel())
    aps['micro'] = float(average_precision_score(onehot.ravel(), scores.ravel()))
    defined = [aps[c] for c in range(scores.shape[1]) if not np.isnan(aps[c])]
    aps['macro'] = float(np.mean(defined)) if defined else float('nan')
    return {'curves': curves, 'ap': aps}


def tsne_embedding(features, seed=0, perplexity=30.0):
    """2-D t-SNE of (N, D) features; perplexity is lowered below N for tiny sets.

    Returns None when there are fewer than 3 samples.
    """
    from sklearn.manifold import TSNE
    features = np.asarray(features, dtype=np.float32).reshape(len(features), -1)
    n = len(features)
    if n < 3:
        return None
    perplexity = float(min(perplexity, max(1.0, (n - 1) / 3)))
    init = 'pca' if min(features.shape) >= 2 else 'random'
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return TSNE(n_components=2, perplexity=perplexity, init=init,
                    random_state=seed).fit_transform(features)


def topk_predictions(scores, k=3):
    """(labels, scores) of the k best classes per sample, best first, k <= C."""
    scores = np.asarray(scores, dtype=np.float64)
    k = min(k, scores.shape[1])
    order = np.argsort(-scores, axis=1, kind='stable')[:, :k]
    return order, np.take_along_axis(scores, order, axis=1)
