#!/usr/bin/env bash
# Install the Azure CLI into its own venv (.ci/az-venv) so its pinned deps never touch the project's.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV="${RECONCILE_AZ_VENV:-.ci/az-venv}"
if [ -x "$VENV/bin/az" ]; then
    echo "az already installed in $VENV"
    exit 0
fi
start=$(date +%s)
python3 -m venv "$VENV"
# keep the venv out of git without touching the shared .gitignore
echo "*" > "$VENV/.gitignore"
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet azure-cli
echo "installed azure-cli into $VENV in $(( $(date +%s) - start )) s"
