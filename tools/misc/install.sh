#!/usr/bin/env bash
# Create (or reuse) a virtual environment with mmext's pinned stack and mmcv 2.1.0 with ops.
#
#   bash tools/misc/install.sh            # venv in .venv (VENV=... to choose)
#   bash tools/misc/install.sh mmcv       # only (re)check / install mmcv's ops in an existing $VENV
#
# mmcv 2.1.0 (the newest mmdet 3.3.0 accepts) ships no wheel for current torch. Its ops are built
# for the machine's device (tools/misc/cuda_env.py): CUDA kernels when torch sees a GPU (or
# FORCE_CUDA=1 with TORCH_CUDA_ARCH_LIST), CPU only otherwise or with MMEXT_DEVICE=cpu.
# The wheel is taken from $MMEXT_WHEELHOUSE (its <key>/ folder, then its top) or the local
# cache (~/.cache/mmext/wheels/<key>/, key = torch version, cu<version> or cpu, Python, arch,
# CUDA arch list) when its kernels fit the device and RoIAlign + nms run there (on a GPU
# compared with the CPU result); otherwise it is built from the source release, with the C++
# standard the torch headers require and, for CUDA, an nvcc matching torch's CUDA (a system
# toolkit or NVIDIA's wheels from PyPI), and cached for the next install.
set -euo pipefail

cd "$(dirname "$0")/../.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
MMCV_VERSION=2.1.0
CACHE_ROOT=${MMEXT_CACHE:-$HOME/.cache/mmext}
py() { "$VENV/bin/python" "$@"; }
pip() { py -m pip "$@"; }
log() { printf '[install] %s\n' "$*"; }
cuda_env() { py tools/misc/cuda_env.py "$@"; }
die() { printf 'error: %s\n' "$*" >&2; exit 2; }

mmcv_ok() {  # mmcv $MMCV_VERSION is installed and its ops run on the target device
  py -c "import mmcv; assert mmcv.__version__ == '$MMCV_VERSION'" >/dev/null 2>&1 \
    && cuda_env check-ops >/dev/null 2>&1
}

stack_hash() { cat requirements/*.txt setup.py | sha256sum | cut -c1-16; }

build_mmcv() {  # $1: folder for the built wheel, $2: cpu or cuda
  local src cxx_std cuda_vars=(FORCE_CUDA=0 CUDA_VISIBLE_DEVICES=)  # CPU: hide GPUs from setup.py
  src=$(mktemp -d)
  if [ "$2" = cuda ]; then
    local cuda_home archs
    cuda_home=$(cuda_env toolkit "$CACHE_ROOT") || exit 2
    archs=$(cuda_env arch-list) || exit 2
    cuda_vars=(FORCE_CUDA=1 "CUDA_HOME=$cuda_home" "TORCH_CUDA_ARCH_LIST=$archs"
               "PATH=$cuda_home/bin:$PATH")
    log "building mmcv $MMCV_VERSION with CUDA ops for arch $archs, nvcc from $cuda_home" \
        "(6 min on 16 cores, ~1.5 h on 2); full log: $src/build.log"
  else
    log "building mmcv $MMCV_VERSION with CPU ops from source (13-37 min on 2 cores); full log: $src/build.log"
  fi
  pip download --no-deps --no-binary :all: --no-build-isolation "mmcv==$MMCV_VERSION" -d "$src" -q
  tar xzf "$src/mmcv-$MMCV_VERSION.tar.gz" -C "$src"
  cxx_std=c++17
  if grep -qs 'C++20 or later compatible compiler is required' \
      "$(py -c 'import torch, os; print(os.path.dirname(torch.__file__))')/include/ATen/ATen.h"; then
    cxx_std=c++20
  fi
  log "compiling with -std=$cxx_std (what the installed torch headers require)"
  sed -i "s/'-std=c++17'/'-std=$cxx_std'/g" "$src/mmcv-$MMCV_VERSION/setup.py"
  # ninja prints [done/total] per compiled file: show those lines as progress
  local python
  python=$(py -c 'import sys; print(sys.executable)')
  (set +e; cd "$src/mmcv-$MMCV_VERSION" && env "${cuda_vars[@]}" MMCV_WITH_OPS=1 \
      MAX_JOBS=${MAX_JOBS:-$(nproc)} "$python" -m pip wheel -v --no-deps --no-build-isolation --no-cache-dir -w "$1" . 2>&1;
   echo $? >"$src/rc") | tee "$src/build.log" | grep --line-buffered -E '^ *\[[0-9]+/[0-9]+\]' \
    | sed -u -E 's#^ *(\[[0-9]+/[0-9]+\]).* -c ([^ ]+/)?([^ /]+\.(cpp|cu)) .*#  mmcv build \1 \3#' || true
  if [ "$(cat "$src/rc")" != 0 ]; then
    tail -n 30 "$src/build.log"
    log "mmcv build failed; full log: $src/build.log"
    return 1
  fi
  [ -n "$(ls "$1"/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null)" ] || { tail -n 30 "$src/build.log"; return 1; }
}

install_mmcv() {
  local target key cache wheel reason
  target=$(cuda_env target) || exit 2
  if mmcv_ok; then log "mmcv $MMCV_VERSION with ops already works ($target)"; return; fi
  key=$(cuda_env key) || exit 2
  cache="$CACHE_ROOT/wheels/$key"
  mkdir -p "$cache"
  local legacy=()  # CPU wheels cached before keys named the device (torch-<v>-<python>-<arch>/)
  [ "$target" != cpu ] || legacy=("$CACHE_ROOT/wheels/${key/-cpu-/-}"/mmcv-$MMCV_VERSION-*.whl)
  for wheel in ${MMEXT_WHEELHOUSE:+"$MMEXT_WHEELHOUSE/$key"/mmcv-$MMCV_VERSION-*.whl} \
      ${MMEXT_WHEELHOUSE:+"$MMEXT_WHEELHOUSE"/mmcv-$MMCV_VERSION-*.whl} \
      "$cache"/mmcv-$MMCV_VERSION-*.whl "${legacy[@]}"; do
    [ -f "$wheel" ] || continue
    log "trying $wheel"
    if ! cuda_env wheel-fits "$wheel"; then
      [ "$(dirname "$wheel")" != "$cache" ] || rm -f "$wheel"
      continue
    fi
    pip install -q --no-deps --force-reinstall --no-cache-dir "$wheel"
    if mmcv_ok; then
      log "mmcv $MMCV_VERSION from $wheel ($target ops checked)"
      [ "$(dirname "$wheel")" = "$cache" ] || cp "$wheel" "$cache/"
      return
    fi
    reason=$(cuda_env check-ops 2>&1 | tail -n 1 || true)
    log "$wheel does not fit torch $(py -c 'import torch; print(torch.__version__)') here (${reason:-mmcv.ops fails to import}); skipping it"
    pip uninstall -q -y mmcv
    [ "$(dirname "$wheel")" != "$cache" ] || rm -f "$wheel"
  done
  build_mmcv "$cache" "$target"
  wheel=$(ls "$cache"/mmcv-$MMCV_VERSION-*.whl | head -n 1)
  if [ "$target" = cuda ] && ! cuda_env wheel-fits "$wheel"; then
    rm -f "$wheel"
    die "the mmcv wheel just built has no CUDA kernels for this GPU: check nvcc and TORCH_CUDA_ARCH_LIST in the build log, or set MMEXT_DEVICE=cpu"
  fi
  pip install -q --no-deps --force-reinstall --no-cache-dir "$wheel"
  mmcv_ok || die "the freshly built mmcv fails its ops check ($(cuda_env check-ops 2>&1 | tail -n 1))"
  log "mmcv $MMCV_VERSION built ($target ops) and cached in $cache"
}

main() {
  bash tools/misc/install_browser.sh  # chromium for the browser tests (apt-get when missing)
  local stamp="$VENV/.mmext-stack"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(stack_hash)" ] && mmcv_ok; then
    log "environment $VENV is up to date"
    return
  fi
  [ -x "$VENV/bin/python" ] || { log "creating $VENV"; "$PYTHON" -m venv "$VENV"; }
  log "installing the pinned stack (requirements/runtime.txt, requirements/tests.txt)"
  pip install -q 'setuptools<81' wheel
  pip install -q -r requirements/runtime.txt -r requirements/tests.txt
  install_mmcv
  pip install -q --no-deps --no-build-isolation -e .
  py -c 'import torchvision, mmdet, mmpretrain, mmext, pkg_resources' 2>/dev/null \
    || { log "import check failed"; exit 1; }
  stack_hash >"$stamp"
  log "ready: $VENV (torch $(py -c 'import torch; print(torch.__version__)'), mmcv $MMCV_VERSION with $(cuda_env target) ops)"
}

if [ "${1:-}" = mmcv ]; then
  [ -x "$VENV/bin/python" ] || die "no virtual environment at $VENV: run bash tools/misc/install.sh first"
  install_mmcv
else
  main "$@"
fi
