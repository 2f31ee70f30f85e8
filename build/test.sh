#!/usr/bin/env bash
# Everything the tests need, then every test. Safe to run on a fresh machine with the .NET 10 SDK and git.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

missing=()
command -v git >/dev/null || missing+=(git)
# The checkpoint protocol's Python snippet is tested with a real interpreter.
command -v python3 >/dev/null || missing+=(python3)
# The web UI's browser tests drive Debian's Chromium (Playwright cannot download a browser here); npm installs uPlot.
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v npm >/dev/null || missing+=(npm)
# The SSH cache remote's tests start OpenSSH's sshd on a loopback port (and ssh-keygen for its keys).
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v ssh-keygen >/dev/null || missing+=(openssh-client)
# The Slurm executor's tests bring up a one-node cluster (tests/GitExp.Tool.Tests/Infrastructure/slurm-cluster.sh,
# which also starts munged and creates its key when absent).
command -v slurmctld >/dev/null || missing+=(slurm-wlm)
command -v munged >/dev/null || missing+=(munge)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${missing[@]}"
fi
# Tests make commits in temp repositories; give git an identity when the machine has none.
git config --global user.email >/dev/null || git config --global user.email "ci@gitexp.invalid"
git config --global user.name >/dev/null || git config --global user.name "GitExp CI"

echo "== restore tools and check formatting"
dotnet tool restore >/dev/null
dotnet csharpier check . 

echo "== build"
dotnet build GitExp.sln -c Release --nologo -v quiet -warnaserror

echo "== pack and install the tool"
build/pack.sh >/dev/null
export GITEXP_TOOL="$(build/install-tool.sh artifacts/tool)"
# Tests that build user projects against GitExp.Client restore it from here.
export GITEXP_PACKAGES="$PWD/artifacts/packages" GITEXP_VERSION="$(cat artifacts/version.txt)"

# The fault campaign's long forms are marked Category=Soak: `build/test.sh --soak` runs them too.
filter="Category!=Soak"
if [ "${1:-}" = "--soak" ]; then filter=""; fi

echo "== test"
rm -rf artifacts/test-results
set +e
dotnet test GitExp.sln -c Release --no-build --nologo ${filter:+--filter "$filter"} \
  --logger "console;verbosity=minimal" --logger trx --results-directory artifacts/test-results 2>&1 | tee artifacts/test-output.txt
status=${PIPESTATUS[0]}
set -e
# Where the time went: each test project's wall time and the slowest tests, from the TRX files.
python3 build/test-times.py artifacts/test-results || true
# One closing line for every test project together, in the form CI reads.
passed=$(grep -oE 'Passed: +[0-9]+' artifacts/test-output.txt | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' artifacts/test-output.txt | awk '{s+=$2} END {print s+0}')
skipped=$(grep -oE 'Skipped: +[0-9]+' artifacts/test-output.txt | awk '{s+=$2} END {print s+0}')
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  echo "tests failed (dotnet test exit code $status)" >&2
  exit 1
fi
