#!/usr/bin/env bash
# Proves the fresh-clone path a new user takes: clone the committed tree into an empty folder (no node_modules,
# no artifacts, no restored packages) and run plain `dotnet build` and `dotnet pack` there, with no script's help.
set -euo pipefail
cd "$(dirname "$0")/.."
folder="$(mktemp -d "${TMPDIR:-/tmp}/gitexp-fresh-clone-XXXXXX")"
trap 'rm -rf "$folder"' EXIT
git clone --quiet --no-local . "$folder/repo"
cd "$folder/repo"
test ! -e src/GitExp.Tool/ui/node_modules
echo "== fresh clone: dotnet build"
dotnet build GitExp.sln --nologo -v quiet
echo "== fresh clone: dotnet pack"
dotnet pack GitExp.sln --nologo -v quiet -o "$folder/packages"
ls "$folder/packages"/*.nupkg >/dev/null
echo "fresh clone builds and packs: $(ls "$folder/packages" | wc -l) packages"
