"""Scores and score thresholds are in [0, 1]: arguments, metric configs."""
import argparse

import pytest

from mmext.testing import load_tool
from mmext.utils import InputError
from mmext.utils.score_range import check_score_thr, score_thr_arg


@pytest.mark.parametrize('text', ['0', '0.4', '1', '1.0'])
def test_thresholds_in_range_parse(text):
    assert score_thr_arg(text) == float(text)


@pytest.mark.parametrize('text', ['1.5', '-0.1', 'nan', 'inf', 'x'])
def test_thresholds_out_of_range_are_refused(text):
    with pytest.raises(argparse.ArgumentTypeError):
        score_thr_arg(text)
    with pytest.raises(InputError, match=r'not in \[0, 1\]'):
        check_score_thr(float(text) if text != 'x' else text)


def test_test_py_refuses_at_parsing(capsys):
    with pytest.raises(SystemExit) as info:
        load_tool('test').parse_args(['c.py', 'm.pth', '--submission', 's.json',
                                      '--score-thr', '2'])
    assert info.value.code == 2
    assert 'argument --score-thr: 2 is not in [0, 1]' in capsys.readouterr().err


def test_metrics_refuse_thresholds_outside_range(tmp_path):
    import mmext.modules  # noqa: F401  (registers mmext's modules)
    from mmext.evaluation.metrics.iou_weighted_f1 import IoUWeightedF1Metric
    from mmext.evaluation.metrics.submission import ParticleSubmissionMetric
    with pytest.raises(InputError, match=r'score_thr 1.5 is not in \[0, 1\]'):
        IoUWeightedF1Metric(score_thr=1.5)
    with pytest.raises(InputError, match=r'score_thr -1 is not in \[0, 1\]'):
        ParticleSubmissionMetric(outfile=str(tmp_path / 'sub.json'), score_thr=-1)
