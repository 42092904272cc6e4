#!/usr/bin/env bash
# Build (or reuse) the separate MONAI Label 0.8.5 environment, .venv-label/ at the repository root.
#
#   integrations/monailabel/build_env.sh [--with-orthanc]
#
# monailabel 0.8.5 cannot share the project's .venv (it needs pydicom 2, a CUDA-only torchvision and Python <= 3.11),
# so it gets a venv of its own: the pinned requirements-lock.txt (CPU torch 2.13.0, monai 1.6.1, ...; regenerated
# from requirements.txt by `tools/lock.sh --label`), monailabel/torchvision/pydicom-seg without their declared
# dependencies, the torchvision CPU shim, dcmqi (DICOM SEG) and monai_fairness itself (--no-deps).
# --with-orthanc also installs Debian's orthanc + orthanc-dicomweb (needs apt-get and root) for the DICOMweb test.
# A rerun with unchanged requirement files does nothing. PYTHON_LABEL picks the interpreter (default: python3.11).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="${LABEL_VENV:-$ROOT/.venv-label}"
WITH_ORTHANC=0
for arg in "$@"; do
  case "$arg" in
    --with-orthanc) WITH_ORTHANC=1 ;;
    *) echo "build_env.sh: unknown argument '$arg' (expected --with-orthanc)" >&2; exit 2 ;;
  esac
done

pick_python() {
  for py in "${PYTHON_LABEL:-}" python3.11 python3 python; do
    [ -n "$py" ] && command -v "$py" >/dev/null 2>&1 || continue
    if "$py" -c 'import sys; sys.exit(0 if (3, 9) <= sys.version_info[:2] <= (3, 11) else 1)'; then
      echo "$py"; return 0
    fi
  done
  echo "build_env.sh: MONAI Label 0.8.5 needs Python 3.9-3.11 (it imports distutils and cgi); none found" \
       "(set PYTHON_LABEL)" >&2
  return 1
}

STAMP="$VENV/.installed"
WANT="$(cat "$HERE/requirements-lock.txt" "$HERE/requirements-nodeps.txt" "$HERE/_tv_cpu_shim.py" "$ROOT/setup.cfg" | sha256sum | cut -c1-16)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && [ -x "$VENV/bin/python" ]; then
  echo "MONAI Label environment up to date: $VENV"
else
  PY="$(pick_python)"
  echo "building the MONAI Label environment in $VENV with $("$PY" --version) (about 2 minutes, 3.3 GB)"
  test -x "$VENV/bin/python" || "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  # exactly the lock (tools/lock.sh --label writes it from requirements.txt), nothing resolved here
  "$VENV/bin/python" -m pip install -q --no-deps -r "$HERE/requirements-lock.txt"
  "$VENV/bin/python" -m pip install -q --no-deps -r "$HERE/requirements-nodeps.txt"
  # monai_fairness without its own dependencies: a plain install would bring back pydicom 3
  "$VENV/bin/python" -m pip install -q --no-deps -e "$ROOT"
  SITE="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  cp "$HERE/_tv_cpu_shim.py" "$SITE/"
  echo 'import _tv_cpu_shim' > "$SITE/_tv_cpu_shim.pth"
  "$VENV/bin/python" -c 'import monailabel.transform.post, monai_fairness, torch; assert torch.version.cuda is None' \
    || { echo "build_env.sh: the environment was built but monailabel / monai_fairness do not import" >&2; exit 1; }
  echo "$WANT" > "$STAMP"
  echo "MONAI Label environment ready: $VENV"
fi

if [ "$WITH_ORTHANC" = 1 ] && ! command -v Orthanc >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || { echo "build_env.sh: --with-orthanc needs apt-get (Debian/Ubuntu)" >&2; exit 1; }
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "installing orthanc and orthanc-dicomweb (Debian packages; no service is started)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends orthanc orthanc-dicomweb >/dev/null
  # Debian's package may start a system Orthanc on 8042; this project only runs its own, by PID, on a loopback port
  (command -v service >/dev/null 2>&1 && $SUDO service orthanc stop >/dev/null 2>&1) || true
fi
