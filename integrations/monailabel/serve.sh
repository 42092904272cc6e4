#!/usr/bin/env bash
# Serve this repository's bundles from a MONAI Label 0.8.5 server on 127.0.0.1 (3D Slicer / OHIF connect to it).
#
#   integrations/monailabel/serve.sh [--port 8000] [--studies DIR|DICOMWEB_URL] [--weights DIR] [--untrained]
#                                    [--models name1,name2] [--real-size]
#
# 1. builds (or reuses) the separate environment .venv-label/ (build_env.sh);
# 2. writes the served bundles to runs/monailabel/bundles/: configs + trained weights from --weights (default
#    runs/demo, what `make demo` writes) or the bundle's own models/; bundles without weights are listed and left out
#    unless --untrained (freshly initialised weights: a plumbing check, not a model); the weights `make demo` writes
#    are demo-sized, so each bundle is served with its configs/demo.json merged in, unless --real-size (weights of
#    the real recipes, e.g. --weights from your own runs without --demo);
# 3. without --studies, writes a few synthetic demo studies (CT NIfTI, skin PNG) to runs/monailabel/studies/;
# 4. starts the server in the foreground (Ctrl-C stops it): http://127.0.0.1:PORT/ ; try
#      curl http://127.0.0.1:PORT/info/
#      curl -X POST "http://127.0.0.1:PORT/infer/apple_ct_segmentation?image=ct_case_0000&output=image" -o seg.nii.gz
# Nothing is downloaded at run time: no model zoo, no SAM2; dcmqi comes from pip.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PORT=8000; STUDIES=""; WEIGHTS="$ROOT/runs/demo"; UNTRAINED=""; MODELS=""; SIZES="--demo"
WORK="${MONAI_FAIRNESS_LABEL_WORK:-$ROOT/runs/monailabel}"
while [ $# -gt 0 ]; do
  case "$1" in
    --port) PORT="$2"; shift 2 ;;
    --studies) STUDIES="$2"; shift 2 ;;
    --weights) WEIGHTS="$2"; shift 2 ;;
    --untrained) UNTRAINED="--untrained"; shift ;;
    --models) MODELS="$2"; shift 2 ;;
    --real-size) SIZES=""; shift ;;
    *) echo "serve.sh: unknown argument '$1' (expected --port, --studies, --weights, --untrained, --models, --real-size)" >&2
       exit 2 ;;
  esac
done

"$HERE/build_env.sh"
VENV="${LABEL_VENV:-$ROOT/.venv-label}"
export PATH="$VENV/bin:$PATH"  # the monailabel launcher execs `python`; dcmqi's itkimage2segimage lives here too
export MONAI_LABEL_DICOMWEB_CACHE_PATH="$WORK/dicomweb-cache"

echo "served bundles ($WORK/bundles):"
python "$HERE/prepare.py" bundles --out "$WORK/bundles" --weights "$WEIGHTS" $UNTRAINED $SIZES ${MODELS:+--only "$MODELS"}
if [ -z "$STUDIES" ]; then
  STUDIES="$WORK/studies"
  if [ ! -d "$STUDIES" ]; then
    echo "demo studies ($STUDIES):"
    python "$HERE/prepare.py" studies --out "$STUDIES"
  fi
fi
NAMES="$(cd "$WORK/bundles" && ls -d */ 2>/dev/null | tr -d / | paste -sd, -)"
echo "starting MONAI Label on http://127.0.0.1:$PORT/ with studies $STUDIES (Ctrl-C stops it)"
exec monailabel start_server --app "$HERE/app" --studies "$STUDIES" --host 127.0.0.1 --port "$PORT" \
  --conf bundles "$WORK/bundles" --conf models "$NAMES" --conf zoo_source local --conf sam2 false \
  --conf preload false
