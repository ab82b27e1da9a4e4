"""``report/index.html``: one self-contained page per test run, rendered with Jinja2.

Every asset is a file of the report folder referenced by a relative path (no CDN, no
script or style from outside), so the folder can be zipped and mailed. The page shows
the config name, a metrics table, the plots, the worst-scored images first, a sortable
per-image table and links to every CSV/JSON of the folder.
"""
import csv
import datetime
import glob
import json
import os
import os.path as osp
import shutil

import jinja2
import numpy as np

from mmext.utils import atomic_write

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(osp.join(osp.dirname(__file__), 'templates')),
    autoescape=jinja2.select_autoescape(['html', 'j2']), trim_blocks=True, lstrip_blocks=True)


def _fmt(value):
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return f'{value:d}'
    if isinstance(value, (float, np.floating)):
        return '' if not np.isfinite(value) else f'{value:.4g}'
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
        return value if number.is_integer() or not np.isfinite(number) else f'{number:.4g}'
    return '' if value is None else str(value)


_ENV.filters['fmt'] = _fmt


def read_csv_rows(path):
    """Rows of a CSV as dicts (header order kept); [] when the file is missing."""
    if not osp.isfile(path):
        return [], []
    with open(path, newline='') as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def _numeric(header, rows):
    out = set()
    for h in header:
        values = [r[h] for r in rows if r.get(h) not in ('', None)]
        try:
            [float(v) for v in values]
        except ValueError:
            continue
        if values:
            out.add(h)
    return out


def run_info(runner):
    """``(config name, checkpoint file name)`` of a Runner."""
    config = getattr(runner.cfg, 'filename', None) or runner.experiment_name
    checkpoint = getattr(runner, '_load_from', None) or ''
    return osp.basename(str(config)), osp.basename(str(checkpoint))


def training_curves(out_dir, runner, is_metric=None, metric_label=None):
    """Draw ``training_curves.png`` from the training logs beside the checkpoint or in
    the work dir (unless the report already has it); return its name or None."""
    from .cls_plots import plot_training_curves
    from .train_log import find_scalar_logs, load_scalar_logs
    name = 'training_curves.png'
    if osp.isfile(osp.join(out_dir, name)):
        return name
    load_from = getattr(runner, '_load_from', None) or ''
    dirs = [osp.dirname(osp.abspath(load_from)) if load_from else None, runner.work_dir]
    train, val = load_scalar_logs(find_scalar_logs(dirs))
    if not train:
        return None
    kwargs = {} if is_metric is None else dict(is_metric=is_metric, metric_label=metric_label)
    plot_training_curves(train, val, osp.join(out_dir, name), **kwargs)
    return name


def write_html_report(out_dir, title, config_name, metrics, plots=(), worst=(),
                      worst_title='Worst images', table=None, checkpoint='', note=''):
    """Render ``<out_dir>/index.html``; return its path.

    Args:
        metrics: ``[(name, value)]`` rows of the metrics table.
        plots: ``[(caption, relative path)]``; missing files are left out.
        worst: ``[dict(caption=..., images=[relative paths])]``, worst first.
        table: ``dict(title, csv, header, rows, links=(), flag=None, flag_values=())``:
            the sortable per-image table (``rows`` are dicts keyed by ``header``).
    """
    exists = lambda rel: osp.isfile(osp.join(out_dir, rel))  # noqa: E731
    if table is not None:
        table = dict(dict(links=(), flag=None, flag_values=()), **table)
        table['numeric'] = _numeric(table['header'], table['rows'])
    files = sorted(osp.relpath(p, out_dir) for ext in ('csv', 'json')
                   for p in glob.glob(osp.join(out_dir, f'*.{ext}')))
    html = _ENV.get_template('report.html.j2').render(
        title=title, config_name=config_name, checkpoint=checkpoint, note=note,
        created=datetime.datetime.now().strftime('%Y-%m-%d %H:%M'),
        metrics=list(metrics), plots=[(c, p) for c, p in plots if exists(p)],
        worst=[w for w in worst if all(exists(p) for p in w['images'])],
        worst_title=worst_title, table=table, files=files)
    path = osp.join(out_dir, 'index.html')
    with atomic_write(path, 'w', encoding='utf-8') as f:
        f.write(html)
    return path


def _metric_rows(*dicts, skip=()):
    rows = []
    for d in dicts:
        for k, v in (d or {}).items():
            if k not in skip and isinstance(v, (int, float, np.integer, np.floating)) \
                    and not isinstance(v, bool) and k not in dict(rows):
                rows.append((k, v))
    return rows


def write_particle_html(out_dir, summary, runner=None, metrics=None, max_worst=12,
                        config_name='', checkpoint=''):
    """``index.html`` of a particle report folder (see
    :func:`mmext.reports.particle_report.write_particle_report`)."""
    if runner is not None:
        config_name, checkpoint = run_info(runner)
        training_curves(out_dir, runner, metric_label='validation metric',
                        is_metric=lambda k: 'iou_f1' in k or k.endswith('segm_mAP'))
    header, rows = read_csv_rows(osp.join(out_dir, 'per_image.csv'))
    scored = [r for r in rows if r.get('iou_f1') not in ('', None)]
    worst_rows = sorted(scored, key=lambda r: float(r['iou_f1'])) if scored else rows
    worst = [dict(images=[r['overlay']],
                  caption=(f"{r['file_name']}: IoU-F1 {float(r['iou_f1']):.3f}, "
                           f"TP {r['tp']} FP {r['fp']} FN {r['fn']}") if r in scored
                  else f"{r['file_name']}: {r['pred_instances']} particles")
             for r in worst_rows[:max_worst] if r.get('overlay')]
    unit = summary.get('size_unit', 'px')
    note = (f"Sizes in {unit}" + (f" ({summary['um_per_px']} µm per pixel)"
                                  if summary.get('um_per_px') else
                                  '; set um_per_px (tools/test.py --um-per-px) for µm') + '.')
    return write_html_report(
        out_dir, 'Particle instance segmentation report', config_name,
        _metric_rows(metrics, summary, skip=('um_per_px', )),
        plots=[('Size distribution: ground truth vs prediction', 'size_distribution.png'),
               ('IoU-weighted F1 against the score threshold', 'score_sweep.png'),
               ('Training curves', 'training_curves.png')],
        worst=worst, worst_title='Lowest IoU-F1 images first (ground truth | prediction)',
        table=dict(title='Per image', csv='per_image.csv', header=header, rows=rows,
                   links=('overlay', )),
        checkpoint=checkpoint, note=note)


def write_classification_html(out_dir, runner=None, metrics=None, cams=(), max_worst=12,
                              config_name='', checkpoint=''):
    """``index.html`` of a classification report folder (see
    :func:`mmext.reports.classification_report.write_classification_report`).

    ``cams``: ``{img_path: relative Grad-CAM overlay path}`` for misclassified images.
    The worst images (misclassified, lowest true-class score first) are copied into
    ``worst/`` so that the folder stands alone.
    """
    if runner is not None:
        config_name, checkpoint = run_info(runner)
    shutil.rmtree(osp.join(out_dir, 'worst'), ignore_errors=True)
    os.makedirs(osp.join(out_dir, 'worst'), exist_ok=True)
    summary = {}
    if osp.isfile(osp.join(out_dir, 'summary.json')):
        with open(osp.join(out_dir, 'summary.json')) as f:
            summary = json.load(f)
    header, rows = read_csv_rows(osp.join(out_dir, 'results.csv'))
    wrong = [r for r in rows if r.get('correct') == '0']
    wrong.sort(key=lambda r: -float(r['score']))  # confidently wrong first
    cams = dict(cams or {})
    worst = []
    for i, r in enumerate(wrong[:max_worst]):
        rel = f'worst/{i:02d}_{osp.basename(r["img_path"])}'
        if osp.isfile(r['img_path']):
            shutil.copyfile(r['img_path'], osp.join(out_dir, rel))
        images = [rel] + ([cams[r['img_path']]] if r['img_path'] in cams else [])
        worst.append(dict(images=images, caption=(
            f"{osp.basename(r['img_path'])}: predicted {r['pred_class']} "
            f"({float(r['score']):.2f}), true {r['gt_class']}")))
    for r in rows:
        r['img_path'] = osp.basename(r['img_path'])
    plots = [('Confusion matrix', 'confusion_matrix.png'), ('ROC curves', 'roc_curves.png'),
             ('Precision-recall curves', 'pr_curves.png'), ('t-SNE', 'tsne.png'),
             ('Training curves', 'training_curves.png'),
             ('Predictions (mistakes framed red)', 'predictions_grid.png')]
    return write_html_report(
        out_dir, 'Classification report', config_name,
        _metric_rows(metrics, summary),
        plots=plots, worst=worst,
        worst_title='Misclassified images, most confident first (image | Grad-CAM)',
        table=dict(title='Per image', csv='results.csv', header=header, rows=rows,
                   flag='correct', flag_values=('0', )),
        checkpoint=checkpoint)


