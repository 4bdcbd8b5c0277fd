#!/usr/bin/env bash
# A single-node Slurm on this machine, for trying the emitted job array (and for its test).
#
#   bash tasks/cluster/slurm_local.sh start    # idempotent; prints the SLURM_CONF to export
#   bash tasks/cluster/slurm_local.sh status   # sinfo of the node
#   bash tasks/cluster/slurm_local.sh stop     # stops the slurmctld/slurmd it started
#   bash tasks/cluster/slurm_local.sh run OUT  # start, submit OUT/cluster/submit.sh, wait,
#                                              # render OUT's report; prints the array's wall time
#
# Needs root and Debian's slurm-wlm and munge (apt-get install -y slurm-wlm munge); exits 3 with
# the reason when they are missing. Everything it writes is under $RC_SLURM_DIR (default
# /tmp/rc-slurm): slurm.conf, state, spool, pid and log files. munged is started when not
# running and left running (it is harmless and other users may share it).
# Recipe (Slurm 22.05): a munge key, munged as user munge, slurm.conf with the host's name,
# ProctrackType=proctrack/linuxproc, TaskPlugin=task/none, SelectType=select/cons_tres and no
# cgroup.conf; slurmctld and slurmd as root.
set -euo pipefail
D=${RC_SLURM_DIR:-/tmp/rc-slurm}
export SLURM_CONF=$D/slurm.conf

missing() {
  echo "slurm_local: $1" >&2
  exit 3
}

check() {
  [ "$(id -u)" -eq 0 ] || missing "needs root to run slurmctld and slurmd"
  for b in slurmctld slurmd munged sbatch squeue sinfo scontrol; do
    command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] ||
      missing "$b not found: apt-get install -y slurm-wlm munge"
  done
}

running() { # running PIDFILE
  [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

start_munge() {
  if pgrep -x munged >/dev/null 2>&1; then return; fi
  if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
  chown munge:munge /etc/munge/munge.key
  chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  runuser -u munge -- /usr/sbin/munged || missing "munged did not start"
}

write_conf() {
  local host cpus mem
  host=$(hostname -s)
  cpus=$(nproc)
  mem=$(awk '/MemTotal/ { print int($2 / 1024) - 512 }' /proc/meminfo)
  mkdir -p "$D/state" "$D/spool"
  cat >"$SLURM_CONF" <<CONF
ClusterName=rclocal
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/slurmctld.log
SlurmdLogFile=$D/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
InactiveLimit=0
KillWait=5
MinJobAge=300
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
}

wait_idle() {
  local host state i
  host=$(hostname -s)
  for i in $(seq 1 60); do
    state=$(sinfo -h -n "$host" -o %T 2>/dev/null | head -n 1 || true)
    case "$state" in
      idle | mixed | allocated) return 0 ;;
      down* | drain* | unknown*) scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true ;;
    esac
    sleep 0.5
  done
  missing "the node did not become idle (state '$state'); see $D/slurmctld.log and $D/slurmd.log"
}

start() {
  check
  start_munge
  if running "$D/slurmctld.pid" && running "$D/slurmd.pid"; then
    echo "slurm_local: already running (SLURM_CONF=$SLURM_CONF)" >&2
  else
    stop_daemons
    write_conf
    /usr/sbin/slurmctld -c -f "$SLURM_CONF" || missing "slurmctld did not start: see $D/slurmctld.log"
    /usr/sbin/slurmd -f "$SLURM_CONF" || missing "slurmd did not start: see $D/slurmd.log"
    echo "slurm_local: started slurmctld and slurmd (SLURM_CONF=$SLURM_CONF)" >&2
  fi
  wait_idle
  echo "export SLURM_CONF=$SLURM_CONF"
}

stop_daemons() {
  local f pid i
  for f in "$D/slurmd.pid" "$D/slurmctld.pid"; do
    if running "$f"; then
      pid=$(cat "$f")
      kill "$pid" 2>/dev/null || true
      for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
  done
}

run() { # run OUT: submit OUT/cluster/submit.sh, wait for its jobs, render the report
  local out=$1 ids began left
  start >/dev/null
  began=$(date +%s.%N)
  ids=$(bash "$out/cluster/submit.sh" | awk '{ print $2 }' | paste -sd, -)
  echo "slurm_local: submitted jobs $ids" >&2
  while :; do
    left=$(squeue -h -j "$ids" 2>/dev/null | wc -l)
    [ "$left" -eq 0 ] && break
    sleep 0.5
  done
  echo "slurm_local: array finished in $(echo "$(date +%s.%N) - $began" | bc) s" >&2
  "${DENO:-deno}" task report --out "$out"
}

case "${1:-}" in
  start) start ;;
  stop) stop_daemons; echo "slurm_local: stopped" >&2 ;;
  status) check; sinfo ;;
  run) [ $# -eq 2 ] || { echo "usage: $0 run OUT" >&2; exit 2; }; run "$2" ;;
  *) echo "usage: $0 start|stop|status|run OUT" >&2; exit 2 ;;
esac
