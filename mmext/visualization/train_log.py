"""Find and read the scalar logs mmengine writes during training.

mmengine's ``LocalVisBackend`` writes ``<work_dir>/<timestamp>/vis_data/scalars.json``
and the ``LoggerHook`` ``<timestamp>.json`` next to it: one JSON record per line, training
records carry ``loss`` (``step`` = iteration), validation records carry the metrics
(``step`` = epoch for epoch-based loops).
"""
import glob
import os.path as osp

from mmext.utils.jsonio import read_json_lines


def find_scalar_logs(dirs):
    """JSON scalar logs under each of ``dirs`` (searched one timestamp level deep).

    Per run folder, ``vis_data/scalars.json`` is preferred over ``<timestamp>.json``.
    """
    found = []
    for d in dict.fromkeys(osp.abspath(d) for d in dirs if d and osp.isdir(d)):
        for run_dir in [d] + sorted(glob.glob(osp.join(d, '*/'))):
            run_dir = osp.abspath(run_dir)
            name = osp.basename(run_dir)
            candidates = [osp.join(run_dir, 'vis_data', 'scalars.json'),
                          osp.join(run_dir, 'vis_data', f'{name}.json'),
                          osp.join(run_dir, f'{name}.json')]
            hit = next((c for c in candidates if osp.isfile(c)), None)
            if hit and hit not in found:
                found.append(hit)
    return found


def load_scalar_logs(paths):
    """(train_records, val_records) from the logs that hold training records.

    Logs are read oldest first (a resumed run continues an earlier one); for a step
    logged twice the later record wins.
    """
    train, val = {}, {}
    for path in sorted(paths, key=osp.getmtime):
        records = list(read_json_lines(path))
        if not any('loss' in r for r in records):
            continue
        for r in records:
            if 'step' not in r:
                continue
            (train if 'loss' in r else val)[r['step']] = r
    return ([train[k] for k in sorted(train)], [val[k] for k in sorted(val)])
