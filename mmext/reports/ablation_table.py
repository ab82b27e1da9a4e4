"""Run a list of configs (train + test through tools/train.py and tools/test.py) and/or
gather their final metrics from the work_dirs into one table (CSV and Markdown).

A run's metrics are the last record with metric keys in its mmengine json logs
(``<work_dir>/<timestamp>/vis_data/scalars.json`` of training, where validation records
land, and ``<work_dir>/<timestamp>/<timestamp>.json`` of tools/test.py): the newest wins.
"""
import glob
import io
import os
import os.path as osp
import subprocess
import sys

from mmext.utils import InputError, atomic_write
from mmext.utils.jsonio import read_json_lines
from .tables import write_table

DEFAULT_METRICS = ('iou_f1', 'iou_precision', 'iou_recall', 'coco/segm_mAP',
                   'coco/segm_mAP_50', 'coco/bbox_mAP')
NOT_METRICS = ('loss', 'lr', 'time', 'data_time', 'memory', 'iter', 'epoch', 'step')


def config_name(config):
    return osp.splitext(osp.basename(config))[0]


def final_metrics(work_dir):
    """Metrics of the newest log record in ``work_dir`` that holds any; {} if none."""
    logs = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')) + \
        glob.glob(osp.join(work_dir, '*', '*.json'))
    for path in sorted(logs, key=os.path.getmtime, reverse=True):
        found = {}
        for rec in read_json_lines(path):
            metrics = {k: v for k, v in rec.items()
                       if isinstance(v, (int, float)) and not k.startswith(NOT_METRICS)
                       and 'loss' not in k}
            if metrics:
                found = metrics
        if found:
            return found
    return {}


def run_config(config, work_dir, tta=False, python=sys.executable, tools_dir='tools'):
    """Train ``config`` into ``work_dir``, then test its last checkpoint (``--tta``)."""
    subprocess.run([python, osp.join(tools_dir, 'train.py'), config, '--work-dir', work_dir],
                   check=True)
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    cmd = [python, osp.join(tools_dir, 'test.py'), config, checkpoint, '--work-dir', work_dir]
    subprocess.run(cmd + (['--tta'] if tta else []), check=True)


def collect(configs, work_dir_root, metrics=DEFAULT_METRICS):
    """One row per config: ``config`` then the requested metrics ('' where missing)."""
    rows = []
    for config in configs:
        found = final_metrics(osp.join(work_dir_root, config_name(config)))
        rows.append({'config': config_name(config),
                     **{m: (round(found[m], 4) if m in found else '') for m in metrics}})
    return rows


def write_tables(rows, csv_path=None, md_path=None):
    """Write the rows as CSV and/or a Markdown table, each atomically."""
    if not rows:
        raise InputError('no results to write')
    header = list(rows[0])
    if csv_path:
        write_table(csv_path, header, ([str(row[h]) for h in header] for row in rows))
    if md_path:
        out = io.StringIO()
        out.write('| ' + ' | '.join(header) + ' |\n')
        out.write('|' + '|'.join(['---'] + ['---:'] * (len(header) - 1)) + '|\n')
        for row in rows:
            out.write('| ' + ' | '.join(str(row[h]) for h in header) + ' |\n')
        with atomic_write(md_path, 'w') as f:
            f.write(out.getvalue())
