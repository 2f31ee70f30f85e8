#!/usr/bin/env bash
# Packs every package into artifacts/packages with a version unique to this build, so a re-pack is
# never served stale from the NuGet cache. Prints the version on the last line.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${GITEXP_VERSION:-0.1.0-dev.$(date -u +%Y%m%d%H%M%S).$$}"
out=artifacts/packages
mkdir -p "$out"
for project in src/GitExp.Tool/GitExp.Tool.csproj src/GitExp.Client/GitExp.Client.csproj src/GitExp.MSBuild/GitExp.MSBuild.csproj \
  templates/GitExp.Templates/GitExp.Templates.csproj; do
  dotnet pack "$project" -c Release -o "$out" -p:Version="$version" --nologo -v quiet >&2
done
echo "$version" > artifacts/version.txt
echo "$version"
