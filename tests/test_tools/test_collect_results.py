"""tools/analysis_tools/collect_results.py --collect-only on fake work_dirs."""
import csv
import json
import os

import pytest

from mmext.testing import load_tool

main = load_tool('collect_results').main


def _log(path, records):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write('\n'.join(json.dumps(r) for r in records) + '\n')


def test_collect_only(tmp_path):
    cfgs = []
    for name in ('a_particles', 'b_particles'):
        cfg = tmp_path / f'{name}.py'
        cfg.write_text('')
        cfgs.append(str(cfg))
    _log(str(tmp_path / 'wd' / 'a_particles' / '20240101_000000' / 'vis_data' / 'scalars.json'),
         [{'loss': 1.0, 'lr': 0.02, 'iter': 1, 'step': 1},
          {'iou_f1': 0.5, 'coco/segm_mAP': 0.3, 'step': 1},
          {'loss': 0.5, 'iter': 2, 'step': 2},
          {'iou_f1': 0.61234, 'coco/segm_mAP': 0.4, 'step': 2}])
    out = str(tmp_path / 'res' / 'table')
    main(cfgs + ['--collect-only', '--work-dir-root', str(tmp_path / 'wd'), '--out', out,
                 '--metrics', 'iou_f1', 'coco/segm_mAP'])
    rows = list(csv.DictReader(open(out + '.csv')))
    assert rows[0] == {'config': 'a_particles', 'iou_f1': '0.6123', 'coco/segm_mAP': '0.4'}
    assert rows[1] == {'config': 'b_particles', 'iou_f1': '', 'coco/segm_mAP': ''}
    md = open(out + '.md').read().splitlines()
    assert md[0] == '| config | iou_f1 | coco/segm_mAP |'
    assert md[2] == '| a_particles | 0.6123 | 0.4 |'


def test_missing_config_exits_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main([str(tmp_path / 'nope.py'), '--collect-only'])
    assert exc.value.code == 2
    assert 'error: config not found' in capsys.readouterr().err
