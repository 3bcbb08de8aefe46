#!/usr/bin/env bash
# tools/netns_cluster.sh: a simulated multi-node MPI cluster on one Linux machine, made of network namespaces, so the
# data-parallel code can be run across "hosts" that talk to each other over TCP (OpenMPI's tcp BTL), as on a real
# cluster, without a second machine. Needs root, iproute2 (ip, tc), util-linux (unshare) and OpenMPI 4.x (mpirun).
#
#   tools/netns_cluster.sh up N [--rate R] [--delay D] [--mtu M]
#       Creates N hosts: network namespaces tb-host1..tb-hostN, each with loopback up and an eth0 with address
#       10.77.0.<i>/24; every eth0 is one end of a veth pair whose other end (tb-port<i>) is a port of the bridge tb-br0
#       ("the switch") in a namespace of its own, tb-switch. Writes /etc/netns/tb-host<i>/hosts (ip netns exec
#       bind-mounts it over /etc/hosts), so every host name resolves to its 10.77.0.x address inside the namespaces.
#       Re-running up first removes what a previous up made.
#       --rate R   shapes both directions of every link to R (tc tbf on both veth ends; e.g. 1gbit, 10gbit).
#       --delay D  adds a one-way delay D per veth end (tc netem, e.g. 1ms; so about 2*D per hop host->switch->host).
#                  Needs sch_netem in the kernel; up fails (and cleans up) if tc cannot add it. With --delay, the
#                  rate is applied by netem too (its 'rate' option).
#       --mtu M    MTU of eth0 and the switch ports (default 1500, as on Ethernet).
#   tools/netns_cluster.sh run N [--slots S] [-v] -- <mpirun options> <program> <program args>
#       Runs mpirun inside tb-host1 (hostname tb-host1) over the hosts tb-host1..tb-hostN with S slots each (default
#       1; without -np mpirun starts N*S ranks). Remote daemons (orted) are started by this script acting as the rsh
#       agent ("ssh"): it enters the target's network namespace and a new UTS namespace whose hostname is the
#       target's name. Every argument after -- reaches mpirun unchanged, and the exit status is mpirun's.
#       -v prints the settings and the mpirun command line to stderr first.
#   tools/netns_cluster.sh down [N]
#       Ends processes still running in the cluster's namespaces (TERM, then KILL), deletes tb-host* and tb-switch
#       (and with them the veths and the bridge) and /etc/netns/tb-host*. Idempotent; removes every tb-host<i>
#       namespace it finds, whatever N is.
#
# Example:
#   sudo tools/netns_cluster.sh up 2
#   sudo tools/netns_cluster.sh run 2 -- ./build/tests/some_mpi_test --flag "an argument with spaces"
#   sudo tools/netns_cluster.sh down
#
# MPI settings of run (given as OMPI_MCA_* environment variables, so an --mca option after -- overrides each one):
#   plm_rsh_agent        this script's _rsh_agent mode instead of ssh; plm_rsh_no_tree_spawn=1 (mpirun starts all
#                        daemons itself)
#   pml ob1, btl tcp,self   byte transfer over TCP between ranks (and the 'self' loopback within a rank); ob1 so no
#                        UCX/OFI path takes over. Ranks on the same host (--slots > 1) talk over TCP too, no vader.
#   btl_tcp_if_include / oob_tcp_if_include 10.77.0.0/24   only the simulated network, never loopback
#   hwloc_base_binding_policy none   every "host" sees all CPUs of the machine; mpirun's default binding would pin
#                        rank 0 of each host to the same core
#   and OMPI_ALLOW_RUN_AS_ROOT=1, OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1.
# The daemons inherit mpirun's environment (a local fork, unlike ssh), so exported variables reach all ranks.
#
# Why the switch is a namespace of its own: the root namespace gets no interface, address, route or bridge, so the
# machine's own networking (and its iptables/br_netfilter settings, which could filter bridged traffic) is untouched,
# and down is just deleting namespaces.
#
# What this simulates: separate hosts as far as the network stack and OpenMPI can tell (own interfaces, addresses,
# routing, hostname, /etc/hosts; the ranks exchange data through real TCP sockets over veth + bridge, with the TCP
# stack's windows, acknowledgements and copies), and optionally a link rate and delay.
# What it does not: it is one kernel with one set of CPUs and one memory. The "hosts" compete for the same cores
# (e.g. 2 cores for 3 hosts), the filesystem is shared (so program paths and output folders are the same on every
# host; no staging needed), there are no NICs, no wire, no packet loss, a veth "link" is as fast as memcpy, and
# veths pass 64 KB GSO packets along unsegmented (MTU-size frames exist only where a real NIC would cut them).
# Timings therefore measure the overheads of the TCP path (syscalls, copies, protocol) and of the MPI algorithms,
# not what a real network would give; use --rate/--delay for a rough model of a link.
set -euo pipefail

readonly PREFIX=tb-host
readonly SWITCH=tb-switch
readonly BRIDGE=tb-br0
readonly SUBNET=10.77.0
readonly MAX_HOSTS=254

SELF=$(readlink -f "${BASH_SOURCE[0]}")
readonly SELF

die() {
    echo "netns_cluster.sh: $*" >&2
    exit 1
}

usage() {
    sed -n '2,/^set -euo/p' "$SELF" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 2
}

check_n() {
    [[ "${1:-}" =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer, got '${1:-}'"
    ((10#$1 <= MAX_HOSTS)) || die "N must be at most $MAX_HOSTS (addresses $SUBNET.1..$SUBNET.N)"
}

ns_exists() {
    [[ -e "/run/netns/$1" ]]
}

# Ends the processes in namespace $1 (only processes whose network namespace is that one), then deletes it.
delete_ns() {
    local ns=$1 pids=() pid i
    ns_exists "$ns" || return 0
    mapfile -t pids < <(ip netns pids "$ns" 2>/dev/null || true)
    if ((${#pids[@]} > 0)); then
        echo "netns_cluster.sh: ending ${#pids[@]} process(es) still in $ns: ${pids[*]}" >&2
        kill -TERM "${pids[@]}" 2>/dev/null || true
        for ((i = 0; i < 30; i++)); do
            mapfile -t pids < <(ip netns pids "$ns" 2>/dev/null || true)
            ((${#pids[@]} == 0)) && break
            sleep 0.1
        done
        for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    fi
    ip netns delete "$ns"
}

cmd_down() {
    local ns
    if (($# > 0)); then check_n "$1"; fi
    # every tb-host<i>, whatever N was at up time; tb-host1 first, so that a running mpirun ends first and takes
    # its remote daemons down itself
    while read -r ns _; do
        if [[ "$ns" =~ ^${PREFIX}[0-9]+$ ]]; then delete_ns "$ns"; fi
    done < <(ip netns list 2>/dev/null | sort -V || true)
    delete_ns "$SWITCH"
    for ns in /etc/netns/"$PREFIX"*; do
        [[ -d "$ns" && "${ns##*/}" =~ ^${PREFIX}[0-9]+$ ]] || continue
        rm -f -- "$ns/hosts"
        rmdir -- "$ns"
    done
    # /etc/netns itself only if it is empty now (other tools may keep files there)
    if [[ -d /etc/netns ]]; then rmdir --ignore-fail-on-non-empty /etc/netns; fi
}

# qdisc for one veth end: $1 = 'ip -n NS' namespace, $2 = device, $3 = rate or '', $4 = delay or ''
shape() {
    local ns=$1 dev=$2 rate=$3 delay=$4
    if [[ -n "$delay" ]]; then
        local args=(delay "$delay" limit 100000)
        [[ -n "$rate" ]] && args+=(rate "$rate")
        ip netns exec "$ns" tc qdisc replace dev "$dev" root netem "${args[@]}" ||
            die "tc netem failed on $ns/$dev (kernel without sch_netem / CONFIG_NET_SCH_NETEM?); no --delay possible"
    elif [[ -n "$rate" ]]; then
        # burst: enough for a 64 KB GSO segment and for the 1 ms timer granularity at 10 Gbit/s
        ip netns exec "$ns" tc qdisc replace dev "$dev" root tbf rate "$rate" burst 1mb latency 20ms ||
            die "tc tbf failed on $ns/$dev"
    fi
}

# Whether host namespace $1 reaches address $2: a TCP connection to the closed port 9 is refused (a RST comes back)
# when the address answers; no ping needed.
reachable() {
    local out
    # shellcheck disable=SC2016  # expanded by the inner bash
    out=$(ip netns exec "$1" timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/9"' "$2" 2>&1) && return 0
    [[ "$out" == *refused* ]]
}

cmd_up() {
    local n rate="" delay="" mtu=1500 i ns
    check_n "${1:-}"
    n=$((10#$1))
    shift
    while (($# > 0)); do
        case $1 in
            --rate) rate=${2:?--rate needs a value}; shift 2 ;;
            --delay) delay=${2:?--delay needs a value}; shift 2 ;;
            --mtu) mtu=${2:?--mtu needs a value}; shift 2 ;;
            *) die "up: unknown option '$1'" ;;
        esac
    done
    command -v ip >/dev/null || die "ip (iproute2) not found"
    cmd_down
    # from here on, a failure (set -e or die) removes the half-made cluster
    trap 'echo "netns_cluster.sh: up failed, removing what it made" >&2; cmd_down' EXIT
    ip netns add "$SWITCH"
    ip -n "$SWITCH" link set lo up
    ip -n "$SWITCH" link add "$BRIDGE" type bridge
    ip -n "$SWITCH" link set "$BRIDGE" mtu "$mtu" up

    local hosts_file
    hosts_file=$(printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n')$'\n'
    for ((i = 1; i <= n; i++)); do
        hosts_file+=$(printf '%s.%d\t%s%d' "$SUBNET" "$i" "$PREFIX" "$i")$'\n'
    done
    for ((i = 1; i <= n; i++)); do
        ns=$PREFIX$i
        ip netns add "$ns"
        ip -n "$ns" link set lo up
        ip -n "$SWITCH" link add "tb-port$i" mtu "$mtu" type veth peer name eth0 netns "$ns"
        ip -n "$SWITCH" link set "tb-port$i" master "$BRIDGE" up
        ip -n "$ns" link set eth0 mtu "$mtu"
        ip -n "$ns" addr add "$SUBNET.$i/24" dev eth0
        ip -n "$ns" link set eth0 up
        mkdir -p "/etc/netns/$ns"
        printf '%s' "$hosts_file" >"/etc/netns/$ns/hosts"
        shape "$ns" eth0 "$rate" "$delay"
        shape "$SWITCH" "tb-port$i" "$rate" "$delay"
    done
    # the first host reaches the others (the bridge forwards as soon as its ports are up: STP is off)
    for ((i = 2; i <= n; i++)); do
        reachable "${PREFIX}1" "$SUBNET.$i" || die "up: ${PREFIX}1 cannot reach $SUBNET.$i"
    done
    trap - EXIT
    echo "netns_cluster.sh: up: $n host(s) ${PREFIX}1..$PREFIX$n at $SUBNET.1..$SUBNET.$n/24 on bridge $BRIDGE" \
        "(namespace $SWITCH), mtu $mtu${rate:+, rate $rate}${delay:+, delay $delay per veth end}" >&2
}

# OpenMPI's rsh launcher calls: <agent> <host> <command words...>, where the command words are meant for the remote
# login shell (like ssh, which joins them with spaces and hands them to the shell). Enter the host's namespaces,
# set its hostname, and let bash run the joined command.
cmd_rsh_agent() {
    local host=${1:?_rsh_agent: no host}
    shift
    # a host may be named by address too
    if [[ "$host" =~ ^${SUBNET//./\\.}\.([0-9]+)$ ]]; then host=$PREFIX${BASH_REMATCH[1]}; fi
    if ! [[ "$host" =~ ^${PREFIX}[0-9]+$ ]] || ! ns_exists "$host"; then die "_rsh_agent: no simulated host '$host'"; fi
    # $1 inside: the hostname; the rest: the command words, joined like ssh does
    # shellcheck disable=SC2016  # expanded by the inner bash
    exec ip netns exec "$host" unshare --uts -- /bin/bash -c \
        'printf "%s" "$1" >/proc/sys/kernel/hostname || exit 255; shift; exec /bin/bash -c "$*"' \
        bash "$host" "$@"
}

cmd_run() {
    local n slots=1 verbose=0 i hostlist=""
    check_n "${1:-}"
    n=$((10#$1))
    shift
    while (($# > 0)); do
        case $1 in
            --) shift; break ;;
            --slots) slots=${2:?--slots needs a value}; shift 2 ;;
            -v) verbose=1; shift ;;
            *) break ;;  # mpirun's arguments start here
        esac
    done
    (($# > 0)) || die "run: nothing to run (tools/netns_cluster.sh run N -- <mpirun args> <program> ...)"
    [[ "$slots" =~ ^[1-9][0-9]*$ ]] || die "run: --slots must be a positive integer"
    [[ "$SELF" != *[[:space:]]* ]] || die "run: the path of this script contains white space ($SELF); OpenMPI" \
        "splits plm_rsh_agent at spaces"
    for ((i = 1; i <= n; i++)); do
        ns_exists "$PREFIX$i" || die "run: no namespace $PREFIX$i; first: tools/netns_cluster.sh up $n"
        hostlist+=${hostlist:+,}$PREFIX$i:$slots
    done
    local env=(
        OMPI_ALLOW_RUN_AS_ROOT=1
        OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
        "OMPI_MCA_plm_rsh_agent=$SELF _rsh_agent"
        OMPI_MCA_plm_rsh_no_tree_spawn=1
        OMPI_MCA_pml=ob1
        "OMPI_MCA_btl=tcp,self"
        "OMPI_MCA_btl_tcp_if_include=$SUBNET.0/24"
        "OMPI_MCA_oob_tcp_if_include=$SUBNET.0/24"
        OMPI_MCA_hwloc_base_binding_policy=none
    )
    local cmd=(mpirun --host "$hostlist" "$@")
    if ((verbose)); then
        {
            echo "netns_cluster.sh: in ${PREFIX}1 (hostname ${PREFIX}1), environment:"
            printf '    %s\n' "${env[@]}"
            printf 'netns_cluster.sh: command:'
            printf ' %q' "${cmd[@]}"
            printf '\n'
        } >&2
    fi
    # ip netns exec, unshare (without --fork) and the inner bash all exec: mpirun's exit status is ours
    # shellcheck disable=SC2016  # expanded by the inner bash
    exec ip netns exec "${PREFIX}1" unshare --uts -- env "${env[@]}" /bin/bash -c \
        'printf "%s" "$1" >/proc/sys/kernel/hostname || exit 255; shift; exec "$@"' \
        bash "${PREFIX}1" "${cmd[@]}"
}

(($# > 0)) || usage
case $1 in -h | --help | help) usage ;; esac
[[ $EUID -eq 0 ]] || die "needs root (network namespaces)"
sub=$1
shift
case $sub in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    run) cmd_run "$@" ;;
    _rsh_agent) cmd_rsh_agent "$@" ;;
    *) die "unknown command '$sub' (up, run, down)" ;;
esac
