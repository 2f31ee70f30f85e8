#!/usr/bin/env bash
# The main job, end to end: pack GitExp, create a project with `dotnet new exp-project`, install
# `dotnet exp` from its tool manifest, run a few experiments with different params, and show them.
# Usage: build/demo.sh [folder]   (default: a new temp folder, kept so you can explore it)
set -euo pipefail
repo_root="$(cd "$(dirname "$0")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

echo "== pack GitExp"
version="$("$repo_root/build/pack.sh" | tail -n 1)"
echo "version $version"

demo="${1:-$(mktemp -d "${TMPDIR:-/tmp}/gitexp-demo.XXXXXX")}"
mkdir -p "$demo"
demo="$(cd "$demo" && pwd)"
project="$demo/DemoExp"
if [ -e "$project" ]; then
  echo "$project already exists; give build/demo.sh a new folder" >&2
  exit 2
fi

# The packages are not on nuget.org: restores under the demo folder (the project, its tool manifest,
# and the worktrees of queued runs) find them through this nuget.config.
cat > "$demo/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="gitexp" value="$repo_root/artifacts/packages" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
XML

echo "== dotnet new exp-project (template installed in $demo/.template-hive, not in your dotnet new)"
hive="$demo/.template-hive"
dotnet new install "$repo_root/artifacts/packages/GitExp.Templates.$version.nupkg" --debug:custom-hive "$hive" >/dev/null
dotnet new exp-project -n DemoExp -o "$project" --debug:custom-hive "$hive"

cd "$project"
git init -q -b main
git config user.email >/dev/null || git config user.email "demo@gitexp.invalid"
git config user.name >/dev/null || git config user.name "GitExp demo"
git add -A
git commit -qm "New experiment project (dotnet new exp-project)"

echo "== dotnet tool restore (gitexp.tool $version, pinned in .config/dotnet-tools.json)"
dotnet tool restore >/dev/null

# Each run starts over (--reset) instead of continuing the previous run's last checkpoint.
echo "== dotnet exp run (template params: train.lr=0.1, train.epochs=20)"
dotnet exp run -n baseline-params
echo "== dotnet exp run -S train.lr=0.5"
dotnet exp run -n fast-lr -S train.lr=0.5 --reset
echo "== dotnet exp run -S train.lr=0.02 -S train.epochs=30"
dotnet exp run -n slow-lr -S train.lr=0.02 -S train.epochs=30 --reset

echo "== dotnet exp show --no-checkpoints"
dotnet exp show --no-checkpoints
echo "== dotnet exp diff baseline-params fast-lr"
dotnet exp diff baseline-params fast-lr

echo
echo "The sample project is in $project; try: cd $project && dotnet exp show"
