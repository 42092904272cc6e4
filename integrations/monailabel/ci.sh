#!/usr/bin/env bash
# MONAI Label tests in their separate environment, run by .ci/run after the main suite (and by `make test-label`).
# Builds .venv-label (+ Orthanc when apt-get is there), then runs integrations/monailabel/tests with that venv.
# Only when the environment itself cannot be built (no Python 3.9-3.11, no package registry) are the tests skipped,
# with a message saying so; a test that fails fails the run. Skipped tests (e.g. no Orthanc) are listed by reason.
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="${LABEL_VENV:-$ROOT/.venv-label}"
START=$(date +%s)
if ! "$HERE/build_env.sh"; then
  echo "=================================================================================================="
  echo "SKIPPED: MONAI Label tests - the separate MONAI Label environment could not be built (see above)."
  echo "=================================================================================================="
  exit 0
fi
# Orthanc for the DICOMweb test; without it that test is reported as skipped, with the reason (pytest -rs)
"$HERE/build_env.sh" --with-orthanc || echo "note: Orthanc could not be installed; the DICOMweb test will be skipped"
echo "MONAI Label environment: $(( $(date +%s) - START )) s"
export PATH="$VENV/bin:$PATH"
cd "$ROOT"
"$VENV/bin/python" -m pytest -q -p no:cacheprovider -rs integrations/monailabel/tests
RC=$?
echo "MONAI Label tests (environment included): $(( $(date +%s) - START )) s"
exit $RC
