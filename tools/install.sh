#!/usr/bin/env bash
# Create (or reuse) a virtual environment with mmext's pinned stack and mmcv 2.1.0 with ops.
#
#   bash tools/install.sh            # venv in .venv (VENV=... to choose)
#
# mmcv 2.1.0 (the newest mmdet 3.3.0 accepts) ships no wheel for current torch. Its wheel is
# taken from $MMEXT_WHEELHOUSE or the local cache (~/.cache/mmext/wheels/torch-<version>-<tag>/)
# when one there imports its ops against the installed torch; otherwise it is built from the
# source release (13-37 min on 2 cores), with the C++ standard the torch headers require,
# and the wheel is cached for the next install.
set -euo pipefail

cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
MMCV_VERSION=2.1.0
CACHE_ROOT=${MMEXT_CACHE:-$HOME/.cache/mmext}
py() { "$VENV/bin/python" "$@"; }
pip() { py -m pip "$@"; }
log() { printf '[install] %s\n' "$*"; }

mmcv_ok() {
  py - >/dev/null 2>&1 <<PY
import mmcv
assert mmcv.__version__ == '$MMCV_VERSION', mmcv.__version__
from mmcv.ops import RoIAlign, nms
PY
}

stack_hash() { cat requirements/*.txt setup.py | sha256sum | cut -c1-16; }

build_mmcv() {  # $1: folder for the built wheel
  local src cxx_std
  src=$(mktemp -d)
  log "building mmcv $MMCV_VERSION with ops from source (13-37 min on 2 cores); full log: $src/build.log"
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
  (set +e; cd "$src/mmcv-$MMCV_VERSION" && MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
      "$python" -m pip wheel -v --no-deps --no-build-isolation --no-cache-dir -w "$1" . 2>&1;
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
  if mmcv_ok; then log "mmcv $MMCV_VERSION with ops already works"; return; fi
  local torch_version tag cache wheel
  torch_version=$(py -c 'import torch; print(torch.__version__.split("+")[0])')
  tag=$(py -c 'import sys, platform; print(f"cp{sys.version_info[0]}{sys.version_info[1]}-{platform.machine()}")')
  cache="$CACHE_ROOT/wheels/torch-$torch_version-$tag"
  mkdir -p "$cache"
  for wheel in ${MMEXT_WHEELHOUSE:+"$MMEXT_WHEELHOUSE"/mmcv-$MMCV_VERSION-*.whl} "$cache"/mmcv-$MMCV_VERSION-*.whl; do
    [ -f "$wheel" ] || continue
    log "trying $wheel"
    pip install -q --no-deps --force-reinstall --no-cache-dir "$wheel"
    if mmcv_ok; then
      log "mmcv $MMCV_VERSION from $wheel"
      [ "$(dirname "$wheel")" = "$cache" ] || cp "$wheel" "$cache/"
      return
    fi
    log "$wheel does not fit torch $torch_version (mmcv.ops fails to import); skipping it"
    pip uninstall -q -y mmcv
    [ "$(dirname "$wheel")" != "$cache" ] || rm -f "$wheel"
  done
  build_mmcv "$cache"
  pip install -q --no-deps --force-reinstall --no-cache-dir "$cache"/mmcv-$MMCV_VERSION-*.whl
  mmcv_ok || { log "the freshly built mmcv does not import its ops"; exit 1; }
  log "mmcv $MMCV_VERSION built and cached in $cache"
}

main() {
  bash tools/install_browser.sh  # chromium for the browser tests (apt-get when missing)
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
  log "ready: $VENV (torch $(py -c 'import torch; print(torch.__version__)'), mmcv $MMCV_VERSION with ops)"
}

main "$@"
