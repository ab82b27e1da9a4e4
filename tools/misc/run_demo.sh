#!/usr/bin/env bash
# The main job on the embedded demo data: generate it, then train and test one
# classification and one instance-segmentation model, and say where the outputs are.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${VENV:-.venv}/bin/python
# calm console: the tools show progress bars and a summary; full logs are in work_dirs/
export PYTHONWARNINGS=${PYTHONWARNINGS:-'ignore:pkg_resources is deprecated:UserWarning'}
CLS=configs/demo/resnet18_1xb32-20e_demo-micrographs.py
DET=configs/demo/mask-rcnn_r18-thin_fpn_1xb2-240i_demo-particles.py
start=$(date +%s)

"$PY" tools/misc/make_demo_data.py --out-dir data/demo
for cfg in "$CLS" "$DET"; do
  name=$(basename "$cfg" .py)
  echo "== train $name"
  "$PY" tools/train.py "$cfg" --work-dir "work_dirs/demo/$name"
  echo "== test $name"
  "$PY" tools/test.py "$cfg" "$(cat "work_dirs/demo/$name/last_checkpoint")" \
    --work-dir "work_dirs/demo/$name"
done

echo
echo "demo finished in $(( $(date +%s) - start )) s; outputs:"
for cfg in "$CLS" "$DET"; do
  name=$(basename "$cfg" .py)
  echo "  work_dirs/demo/$name/  checkpoints, logs, report/ (open report/index.html)"
done
echo "  data/demo/              the generated micrograph and particle datasets"
