#!/usr/bin/env bash
# Builds the tool and the benchmarks in Release, runs every benchmark one after the other (they
# time wall clock, so never in parallel) and prints one summary line per benchmark.
# Exits non-zero when any benchmark misses its target or fails to run.
#   bench/run.sh                      # the Release build of src/GitExp.Tool
#   bench/run.sh --tool ~/.dotnet/tools/dotnet-exp   # an installed tool instead
#   BENCHES="show record" bench/run.sh                # a subset
set -uo pipefail
cd "$(dirname "$0")/.."

tool_args=()
if [[ "${1:-}" == "--tool" ]]; then
  tool_args=(--tool "$2")
fi

# The tool embeds the UI's chart library, pinned by the committed package-lock.json.
[ -d src/GitExp.Tool/ui/node_modules ] || npm ci --prefix src/GitExp.Tool/ui --no-audit --no-fund >/dev/null
dotnet build src/GitExp.Tool -c Release -nologo -v q >/dev/null || { echo "build of src/GitExp.Tool failed" >&2; exit 2; }
dotnet build bench/GitExp.Bench -c Release -nologo -v q >/dev/null || { echo "build of bench/GitExp.Bench failed" >&2; exit 2; }
bench=bench/GitExp.Bench/bin/Release/net10.0/GitExp.Bench.dll

summaries=()
failed=0
benches=${BENCHES:-show show-10k noop-run dvc-status record hash queue-overhead queue-parallel slurm-overhead checkpoint-show checkpoint-100mb ui-api ui-page ui-compare ui-chart ui-run runs-filter plots-show scheduler-idle remote}
# ui-page and ui-compare drive Debian's Chromium headless; install it only when it is missing.
chromium=yes
if [[ " $benches " == *" ui-page "* || " $benches " == *" ui-compare "* || " $benches " == *" ui-chart "* || " $benches " == *" ui-run "* ]] && [[ ! -x /usr/bin/chromium ]]; then
  if [[ $(id -u) -eq 0 ]]; then
    apt-get install -y chromium >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y chromium >/dev/null 2>&1; }
  fi
  [[ -x /usr/bin/chromium ]] || chromium=no
fi
# slurm-overhead brings up a one-node Slurm cluster as root from Debian's slurm-wlm and munge.
slurm=yes
if [[ " $benches " == *" slurm-overhead "* ]] && ! command -v slurmctld >/dev/null; then
  if [[ $(id -u) -eq 0 ]]; then
    apt-get install -y slurm-wlm munge >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y slurm-wlm munge >/dev/null 2>&1; }
  fi
  command -v slurmctld >/dev/null || slurm=no
fi
[[ $(id -u) -eq 0 ]] || slurm=no
# remote serves an SSH remote with OpenSSH's sshd and compares with rsync; install them only when missing.
if [[ " $benches " == *" remote "* ]] && { [[ ! -x /usr/sbin/sshd ]] || ! command -v rsync >/dev/null; } && [[ $(id -u) -eq 0 ]]; then
  apt-get install -y openssh-server rsync >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y openssh-server rsync >/dev/null 2>&1; }
fi
for name in $benches; do
  echo "=== $name"
  if [[ $chromium == no && ( $name == ui-page || $name == ui-compare || $name == ui-chart || $name == ui-run ) ]]; then
    summaries+=("$name: not run, chromium is missing (/usr/bin/chromium; apt-get install -y chromium failed or needs root) FAIL")
    failed=1
    continue
  fi
  if [[ $slurm == no && $name == slurm-overhead ]]; then
    summaries+=("$name: not run, it needs root and slurm-wlm (apt-get install -y slurm-wlm munge) FAIL")
    failed=1
    continue
  fi
  args=("$name")
  case "$name" in remote|show|show-10k|noop-run|dvc-status|queue-*|slurm-*|checkpoint-*|ui-*|runs-filter|plots-show|scheduler-idle) args+=("${tool_args[@]}") ;; esac
  log=$(mktemp)
  dotnet "$bench" "${args[@]}" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  line=$(grep -E "^$name: ours " "$log" | tail -1)
  rm -f "$log"
  if [[ -z "$line" ]]; then
    line="$name: did not finish (exit $status) FAIL"
  fi
  [[ $status -ne 0 ]] && failed=1
  summaries+=("$line")
done

echo
echo "=== summary"
printf '%s\n' "${summaries[@]}"
exit $failed
