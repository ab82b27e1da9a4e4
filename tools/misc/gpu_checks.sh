#!/usr/bin/env bash
# The GPU checks, one command on a GPU machine whose $VENV has the stack and mmcv with CUDA ops
# (bash tools/misc/install.sh): the demo configs train and test on CUDA, --amp training of both
# families (the checkpoint must hold AmpOptimWrapper's loss scaler), a 1-GPU
# tools/dist_train.sh run, then bench/bench_maskrcnn_gpu.py. Outputs in work_dirs/gpu/.
#
#   bash tools/misc/gpu_checks.sh [bench args...]      # SKIP_BENCH=1 to leave the bench out
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${VENV:-.venv}/bin/python
CLS=configs/demo/resnet18_1xb32-20e_demo-micrographs.py
DET=configs/demo/mask-rcnn_r18-thin_fpn_1xb2-240i_demo-particles.py
OUT_DIR=work_dirs/gpu
step() { printf '\n== %s (%s)\n' "$*" "$(date +%T)"; }

step "device"
"$PY" -c 'import sys, torch
torch.cuda.is_available() or sys.exit("error: torch sees no GPU: tools/misc/gpu_checks.sh is for GPU machines")
print(torch.cuda.get_device_name(0), "torch", torch.__version__, "CUDA", torch.version.cuda)'
"$PY" tools/misc/cuda_env.py check-ops | grep -qx cuda || { echo "mmcv ops do not run on CUDA"; exit 1; }
echo "mmcv ops: RoIAlign and nms on CUDA match the CPU"

step "demo: train and test on CUDA"
VENV=${VENV:-.venv} bash tools/misc/run_demo.sh

for cfg in "$CLS" "$DET"; do
  name=$(basename "$cfg" .py)
  step "--amp: $name"
  "$PY" tools/train.py "$cfg" --amp --work-dir "$OUT_DIR/amp-$name"
  "$PY" - "$OUT_DIR/amp-$name" <<'PY'
import sys
from mmext.engine.checkpoint import load_from_local_safe, register_safe_globals
register_safe_globals()
ckpt = open(f'{sys.argv[1]}/last_checkpoint').read().strip()
state = load_from_local_safe(ckpt, map_location='cpu')
assert 'loss_scaler' in state['optimizer'], 'no AmpOptimWrapper loss scaler in the checkpoint'
print(f"mixed precision: loss scale {state['optimizer']['loss_scaler']['scale']} in {ckpt}")
PY
done

step "1-GPU tools/dist_train.sh"
PYTHON="$PY" bash tools/dist_train.sh "$DET" 1 --work-dir "$OUT_DIR/dist-1gpu" \
  --cfg-options train_cfg.max_iters=40 train_cfg.val_interval=40 \
  default_hooks.checkpoint.interval=40
test -s "$OUT_DIR/dist-1gpu/last_checkpoint"
echo "dist_train.sh: $(cat "$OUT_DIR/dist-1gpu/last_checkpoint")"

if [ -z "${SKIP_BENCH:-}" ]; then
  step "bench: Mask R-CNN R50-FPN throughput"
  "$PY" bench/bench_maskrcnn_gpu.py --out "$OUT_DIR/bench_maskrcnn_gpu.md" "$@"
fi
step "GPU checks passed"
