# lib_slurm.sh - a throwaway single-node Slurm cluster for one test: munged,
# slurmctld and slurmd from Debian's slurm-wlm and munge, with their own
# socket, ports, state and logs under a temp directory, stopped on exit.
#   slurm_up DIR     starts it; 0 when `srun` works, else prints why and
#                    returns 1 (the caller counts the test as skipped)
#   slurm_down       stops it (also done by the EXIT trap the caller sets)
# After slurm_up, SLURM_CONF points at the cluster's slurm.conf.
# Needs root: slurmd starts job steps as their user (here root).

_slurm_dir=
_slurm_pids=()

_slurm_free_port() {
    "${PYTHON:-/usr/bin/python3}" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

slurm_why_not() {
    [ "$(id -u)" = 0 ] || { echo "not root: slurmd must run as root"; return 0; }
    for b in munged slurmctld slurmd srun sinfo; do
        command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] ||
            { echo "$b not installed (Debian packages slurm-wlm and munge)"; return 0; }
    done
    [ -r /etc/munge/munge.key ] || { echo "no /etc/munge/munge.key (the munge package creates it)"; return 0; }
    return 1
}

slurm_up() {
    _slurm_dir=$1
    local why
    if why=$(slurm_why_not); then echo "$why"; return 1; fi
    local d=$_slurm_dir host cpus p1 p2
    mkdir -p "$d/state" "$d/spool" "$d/log" "$d/munge" && chmod 700 "$d/munge"
    host=$(hostname -s); cpus=$(nproc)
    p1=$(_slurm_free_port); p2=$(_slurm_free_port)
    /usr/sbin/munged --force -S "$d/munge/sock" --pid-file="$d/munge/pid" --log-file="$d/munge/log" \
        --seed-file="$d/munge/seed" --key-file=/etc/munge/munge.key || { echo "munged did not start"; return 1; }
    cat > "$d/slurm.conf" <<CONF
ClusterName=tgtest
SlurmctldHost=$host(127.0.0.1)
AuthType=auth/munge
AuthInfo=socket=$d/munge/sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$p1
SlurmdPort=$p2
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=tgtest Nodes=$host Default=YES MaxTime=10 State=UP
CONF
    export SLURM_CONF=$d/slurm.conf
    /usr/sbin/slurmctld -f "$SLURM_CONF" || { echo "slurmctld did not start: $(tail -n 3 "$d/log/slurmctld.log" 2>/dev/null)"; return 1; }
    /usr/sbin/slurmd -f "$SLURM_CONF" || { echo "slurmd did not start: $(tail -n 3 "$d/log/slurmd.log" 2>/dev/null)"; return 1; }
    local i
    for i in $(seq 100); do
        sinfo -h -o %t 2>/dev/null | grep -qx idle && break
        sleep 0.1
    done
    sinfo -h -o %t 2>/dev/null | grep -qx idle ||
        { echo "the node never became idle: $(sinfo -h 2>&1 | head -n 1); $(tail -n 2 "$d/log/slurmctld.log" 2>/dev/null)"; return 1; }
    return 0
}

slurm_down() {
    [ -n "$_slurm_dir" ] || return 0
    local f
    for f in "$_slurm_dir/slurmd.pid" "$_slurm_dir/slurmctld.pid" "$_slurm_dir/munge/pid"; do
        [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null
    done
    # wait for them to go (their ports and the munge socket): 10 s, then SIGKILL
    local i
    for i in $(seq 100); do
        pgrep -f "$_slurm_dir/" >/dev/null 2>&1 || break
        sleep 0.1
    done
    pkill -KILL -f "$_slurm_dir/" 2>/dev/null
    _slurm_dir=
}
