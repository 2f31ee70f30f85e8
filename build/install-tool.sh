#!/usr/bin/env bash
# Installs the freshly packed GitExp.Tool into a tool folder (default artifacts/tool) from the local
# package folder only, and prints the path of the dotnet-exp executable.
set -euo pipefail
cd "$(dirname "$0")/.."
version="$(cat artifacts/version.txt)"
dir="${1:-artifacts/tool}"
rm -rf "$dir"
dotnet tool install GitExp.Tool --version "$version" --tool-path "$dir" \
  --add-source artifacts/packages --ignore-failed-sources >&2
echo "$(cd "$dir" && pwd)/dotnet-exp"
