#!/usr/bin/env bash
# A real single-node Slurm on this machine for the deploy/slurm integration test: Debian's slurm-wlm and
# munge, slurmctld and slurmd on 127.0.0.1 with a private configuration (nothing under /etc/slurm changes).
#
#   scripts/slurm-local.sh start    # installs Slurm and munge if missing (root), starts the daemons,
#                                   # waits for an idle node
#   scripts/slurm-local.sh stop     # stops the daemons this script started
#   scripts/slurm-local.sh test     # start, run test/integration/slurm.test.ts, stop
#
# After `start`, use the printed SLURM_CONF. The state lives in MOEBENCH_SLURM_DIR (default /tmp/moebench-slurm).
set -euo pipefail
dir=${MOEBENCH_SLURM_DIR:-/tmp/moebench-slurm}
conf=$dir/slurm.conf
root=$(cd "$(dirname "$0")/.." && pwd)

install() {
  command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null &&
    command -v munged >/dev/null && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "slurm-local: slurm-wlm and munge are not installed and this is not root: apt-get install slurm-wlm munge" >&2
    exit 2
  fi
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    slurmctld slurmd slurm-client munge) >/dev/null
}

start_munge() {
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return 0; fi
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  [ -s /etc/munge/munge.key ] || (umask 077 && dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 2>/dev/null)
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "slurm-local: munged did not start" >&2
  exit 1
}

write_conf() {
  local host
  host=$(hostname -s)
  mkdir -p "$dir/state" "$dir/spool"
  cat >"$conf" <<CONF
ClusterName=moebench
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
}

start() {
  install
  start_munge
  stop quiet
  write_conf
  export SLURM_CONF=$conf
  slurmctld -f "$conf"
  slurmd -f "$conf"
  for _ in $(seq 60); do
    if sinfo -h -o %t 2>/dev/null | grep -q idle; then
      echo "export SLURM_CONF=$conf"
      return 0
    fi
    sleep 0.5
  done
  echo "slurm-local: the node did not become idle; see $dir/slurmctld.log and $dir/slurmd.log" >&2
  exit 1
}

stop() {
  local pidfile
  for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid"; do
    if [ -s "$pidfile" ]; then
      kill "$(cat "$pidfile")" 2>/dev/null || true
      rm -f "$pidfile"
    fi
  done
  [ "${1:-}" = quiet ] || echo "slurm-local: stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  test)
    start >/dev/null
    trap stop EXIT
    cd "$root"
    SLURM_CONF=$conf MOEBENCH_SLURM_TEST=1 npx vitest run test/integration/slurm.test.ts
    ;;
  *)
    echo "usage: scripts/slurm-local.sh start|stop|test" >&2
    exit 2
    ;;
esac
