#!/bin/sh
# A one-node Slurm cluster in a folder, for the Slurm executor's tests and bench (run as root).
#   slurm-cluster.sh start DIR   writes DIR/slurm.conf, starts munged if needed, slurmctld and slurmd;
#                                prints the SLURM_CONF path once the node is idle
#   slurm-cluster.sh stop DIR    stops both daemons by their pid files
#   slurm-cluster.sh ctld DIR    starts slurmctld again (after a test killed it), recovering its state
# Ports come from DIR's hash so two clusters (tests, bench) never share one.
set -eu
action=$1
dir=$(cd "$2" && pwd)
conf="$dir/slurm.conf"
export SLURM_CONF="$conf"

# Daemons never hold the caller's pipes: a test reading this script's output to its end would wait on them.
start_ctld() {
  slurmctld -i </dev/null >/dev/null 2>&1
}

case "$action" in
start)
  for tool in slurmctld slurmd sbatch munged; do
    command -v "$tool" >/dev/null || { echo "slurm-cluster.sh: $tool is not installed (apt-get install slurm-wlm munge)" >&2; exit 2; }
  done
  if ! pgrep -x munged >/dev/null; then
    [ -f /etc/munge/munge.key ] || mungekey --create --keyfile=/etc/munge/munge.key
    chown munge:munge /etc/munge/munge.key 2>/dev/null || true
    mkdir -p /run/munge && chown munge:munge /run/munge
    runuser -u munge -- /usr/sbin/munged </dev/null >/dev/null 2>&1
  fi
  host=$(hostname -s)
  base=$(( $(printf '%s' "$dir" | cksum | cut -d' ' -f1) % 2000 * 2 + 20000 ))
  memory=$(awk '/MemTotal/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)
  mkdir -p "$dir/state" "$dir/spool"
  cat > "$conf" <<CONF
ClusterName=gitexp
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$base
SlurmdPort=$((base + 1))
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
OverTimeLimit=0
KillWait=2
SchedulerParameters=batch_sched_delay=0,sched_interval=1,sched_min_interval=0
MinJobAge=600
# A job Slurm requeues (node failure) may start again after cred_expire + 1 s (120 by default).
AuthInfo=cred_expire=5
MessageTimeout=5
SlurmctldTimeout=10
SlurmdTimeout=30
InactiveLimit=0
NodeName=$host CPUs=$(nproc) RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  start_ctld
  slurmd </dev/null >/dev/null 2>&1
  tries=0
  until sinfo -h -o %t 2>/dev/null | grep -qx idle; do
    tries=$((tries + 1))
    [ $tries -lt 100 ] || { echo "slurm-cluster.sh: the node did not become idle; see $dir/slurmctld.log and $dir/slurmd.log" >&2; exit 1; }
    sleep 0.2
  done
  echo "$conf"
  ;;
ctld)
  start_ctld
  ;;
stop)
  # Jobs first, so no stage outlives the cluster; then the daemons, and wait until they are gone.
  scancel --user=root 2>/dev/null || true
  for daemon in slurmd slurmctld; do
    if [ -f "$dir/$daemon.pid" ]; then
      kill "$(cat "$dir/$daemon.pid")" 2>/dev/null || true
    fi
  done
  for daemon in slurmd slurmctld; do
    tries=0
    while [ -f "$dir/$daemon.pid" ] && kill -0 "$(cat "$dir/$daemon.pid")" 2>/dev/null && [ $tries -lt 50 ]; do
      tries=$((tries + 1))
      sleep 0.1
    done
  done
  ;;
esac
