#!/usr/bin/env bash
# The GPU check (benchmarks/gpu_check.py), ready for a machine that has a CUDA build of torch but not this project's
# other packages and no internet:
#   bash benchmarks/gpu_check.sh download        # here, with the package registry: the pure-Python wheels it needs,
#                                                # at the lock's versions, into .whl/ (about 10 MB)
#   bash benchmarks/gpu_check.sh OUT_DIR [ARGS]  # there: installs them offline when missing, runs the check and
#                                                # writes OUT_DIR/gpu_check.json (ARGS go to gpu_check.py)
# PYTHON picks the interpreter (default python3), WHEEL_DIR the wheel folder (default .whl).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
WHEELS="${WHEEL_DIR:-.whl}"
PACKAGES="monai pytorch-ignite nibabel pydicom"

pins() {
  for package in $PACKAGES; do
    grep -i "^${package}==" requirements-lock.txt || { echo "gpu_check.sh: ${package} is not in requirements-lock.txt" >&2; exit 2; }
  done
}

if [ "${1:-}" = "download" ]; then
  mkdir -p "$WHEELS"
  "$PY" -m pip download -q --no-deps --only-binary=:all: -d "$WHEELS" $(pins)
  ls "$WHEELS"
  exit 0
fi

OUT_DIR="${1:-runs/gpu_check}"
shift || true
mkdir -p "$OUT_DIR"
if ! "$PY" -c "import monai, ignite, nibabel, pydicom" 2>/dev/null; then
  "$PY" -m pip install -q --no-index --no-deps --find-links "$WHEELS" $(pins)
fi
"$PY" -c "import torch; print('torch', torch.__version__, '| cuda available:', torch.cuda.is_available())"
PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" "$PY" -m benchmarks.gpu_check --out "$OUT_DIR/gpu_check.json" "$@"
