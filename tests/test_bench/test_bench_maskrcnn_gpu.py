"""bench/bench_maskrcnn_gpu.py stays ready to run on a GPU machine (issue #12, item 4).

CI has no GPU, so the bench runs its ``--device cpu`` readiness mode at a tiny size: the same
configs, data generation, model building, timed train and inference steps and table as on a
GPU, fp32 only. The figures of this run mean nothing; that it produces them does. On a
loaded machine a CPU step can take minutes: the table keeps 3 significant digits (a slow
rate never prints as 0.00) and the run has half an hour.
"""
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / 'bench' / 'bench_maskrcnn_gpu.py'


@pytest.mark.slow
def test_bench_runs_both_variants_and_writes_the_table(tmp_path):
    out = tmp_path / 'bench.md'
    proc = subprocess.run(
        [sys.executable, str(BENCH), '--device', 'cpu', '--sizes', '256x192', '--batch', '1',
         '--rounds', '1', '--steps', '1', '--warmup', '0', '--particles', '5', '10',
         '--out', str(out)],
        capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = [line for line in out.read_text().splitlines() if line.startswith('| 256x192')]
    assert [r.split(' | ')[1:3] for r in rows] == [['fp32', 'infer'], ['fp32', 'train']]
    for row in rows:
        mmext_ips, mmdet_ips, ratio = (float(x) for x in row.split(' | ')[3:6])
        assert mmext_ips > 0 and mmdet_ips > 0 and ratio > 0
    assert re.search(r'worst time ratio mmext/mmdet: \d+\.\d{3}', proc.stdout)
