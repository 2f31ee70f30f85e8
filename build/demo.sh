#!/usr/bin/env bash
# The main job, end to end: pack GitExp, install `dotnet exp` as a local tool in a new sample project
# (a temp Git repository), run a few experiments with different params, and show them.
# Usage: build/demo.sh [folder]   (default: a new temp folder, kept so you can explore it)
set -euo pipefail
repo_root="$(cd "$(dirname "$0")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

echo "== pack GitExp"
version="$("$repo_root/build/pack.sh" | tail -n 1)"
echo "version $version"

demo="${1:-$(mktemp -d "${TMPDIR:-/tmp}/gitexp-demo.XXXXXX")}"
mkdir -p "$demo"
echo "== sample project in $demo"
cp -R "$repo_root/samples/linear-regression/." "$demo/"
cd "$demo"
git init -q -b main
git config user.email >/dev/null || git config user.email "demo@gitexp.invalid"
git config user.name >/dev/null || git config user.name "GitExp demo"

echo "== install dotnet exp as a local tool"
dotnet new tool-manifest --force >/dev/null
dotnet tool install GitExp.Tool --version "$version" --add-source "$repo_root/artifacts/packages" >/dev/null
git add -A
git commit -qm "Sample linear regression pipeline"

echo "== dotnet exp run (baseline params)"
dotnet exp run -n baseline-params
echo "== dotnet exp run -S train.lr=0.3"
dotnet exp run -n fast-lr -S train.lr=0.3
echo "== dotnet exp run -S train.lr=0.02 -S train.epochs=200"
dotnet exp run -n slow-lr -S train.lr=0.02 -S train.epochs=200

echo "== dotnet exp show"
dotnet exp show
echo "== dotnet exp diff baseline-params fast-lr"
dotnet exp diff baseline-params fast-lr

echo
echo "The sample project is in $demo; try: cd $demo && dotnet exp show --md"
