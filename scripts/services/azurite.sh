#!/usr/bin/env bash
# Installs Azurite (the Azure Storage emulator) from the npm registry into .services/,
# once. The tests start it themselves, on loopback, with a throwaway data folder.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -x .services/node_modules/.bin/azurite-blob ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "npm is needed to install Azurite for the cloud-storage tests; install Node.js." >&2
  exit 1
fi
mkdir -p .services
npm install --prefix .services --no-audit --no-fund --silent azurite@3
