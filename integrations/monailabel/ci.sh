#!/usr/bin/env bash
# MONAI Label tests in their separate environment, run by .ci/run after the main suite (and by `make test-label`).
# Builds .venv-label (+ Orthanc when apt-get is there), then runs integrations/monailabel/tests with that venv.
# Only when the environment itself cannot be built (no Python 3.9-3.11, no package registry) are the tests skipped,
# with a message saying so; a test that fails fails the run. Skipped tests (e.g. no Orthanc) are listed by reason.
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="${LABEL_VENV:-$ROOT/.venv-label}"
ORTHANC_FLAG=""
command -v apt-get >/dev/null 2>&1 && ORTHANC_FLAG="--with-orthanc"
START=$(date +%s)
if ! "$HERE/build_env.sh" $ORTHANC_FLAG; then
  echo "=================================================================================================="
  echo "SKIPPED: MONAI Label tests - the separate MONAI Label environment could not be built (see above)."
  echo "=================================================================================================="
  exit 0
fi
echo "MONAI Label environment: $(( $(date +%s) - START )) s"
export PATH="$VENV/bin:$PATH"
cd "$ROOT"
"$VENV/bin/python" -m pytest -q -p no:cacheprovider -rs integrations/monailabel/tests
RC=$?
echo "MONAI Label tests (environment included): $(( $(date +%s) - START )) s"
exit $RC
