#!/usr/bin/env bash
# A network lab for tests and benchmarks: a "box" with two uplinks to an
# "internet" where the ingests live. Root only; addresses from 198.18.0.0/15.
#
#   lab.sh up NAME                          create NAME-box and NAME-net
#   lab.sh down NAME                        delete them (idempotent)
#   lab.sh blackhole NAME up0|up1 on|off    silent outage: drop all traffic, link stays up
#   lab.sh link NAME up0|up1 up|down        hard failure: the box side loses its link
#   lab.sh exec NAME box|net CMD...         run CMD in a namespace
#
#   NAME-box                                   NAME-net
#   up0 198.18.1.2/24  <---- veth ---->  198.18.1.1/24
#   up1 198.18.2.2/24  <---- veth ---->  198.18.2.1/24
#   default via 198.18.1.1 metric 100           lo: 198.18.0.1/32 (the ingests)
#   default via 198.18.2.1 metric 200
#
# A socket bound to up1 (SO_BINDTODEVICE) uses the metric-200 route, so the
# backup path works while up0 still exists, as on a box with per-uplink routes.
set -euo pipefail

die() { echo "lab.sh: $*" >&2; exit 1; }
usage() { die "usage: lab.sh up|down NAME | blackhole NAME up0|up1 on|off | link NAME up0|up1 up|down | exec NAME box|net CMD..."; }

[ $# -ge 2 ] || usage
cmd=$1 name=$2
shift 2
[[ $name =~ ^[a-z][a-z0-9]{1,9}$ ]] || die "NAME '$name': 2 to 10 lowercase letters and digits, starting with a letter"
box=$name-box net=$name-net

exists() { ip netns list | awk '{print $1}' | grep -qx "$1"; }
in_box() { ip netns exec "$box" "$@"; }
in_net() { ip netns exec "$net" "$@"; }

up() {
	exists "$box" && die "$box exists already; run: lab.sh down $name"
	exists "$net" && die "$net exists already; run: lab.sh down $name"
	trap 'down >/dev/null 2>&1' ERR
	ip netns add "$box"
	ip netns add "$net"
	in_box ip link set lo up
	in_net ip link set lo up
	in_net ip addr add 198.18.0.1/32 dev lo
	local i
	for i in 0 1; do
		# created inside the box so no interface ever appears in the caller's namespace
		in_box ip link add "up$i" type veth peer name "net$i" netns "$net"
		in_box ip addr add "198.18.$((i + 1)).2/24" dev "up$i"
		in_net ip addr add "198.18.$((i + 1)).1/24" dev "net$i"
		in_box ip link set "up$i" up
		in_net ip link set "net$i" up
	done
	in_box ip route add default via 198.18.1.1 dev up0 metric 100
	in_box ip route add default via 198.18.2.1 dev up1 metric 200
	# the internet answers the box on the path the packet came in by
	in_net sysctl -qw net.ipv4.conf.all.rp_filter=0
	trap - ERR
}

down() {
	! exists "$box" || ip netns del "$box"
	! exists "$net" || ip netns del "$net"
}

device() {
	[[ ${1:-} =~ ^up[01]$ ]] || usage
	exists "$box" || die "no lab '$name' (lab.sh up $name)"
}

blackhole() { # device on|off
	device "$1"
	local table="blackhole_$1"
	case ${2:-} in
	on)
		in_box nft -f - <<-NFT
			table inet $table {
				chain input { type filter hook input priority -10; iifname "$1" drop; }
				chain output { type filter hook output priority -10; oifname "$1" drop; }
			}
		NFT
		;;
	off) in_box nft delete table inet "$table" 2>/dev/null || true ;;
	*) usage ;;
	esac
}

link() { # device up|down
	device "$1"
	case ${2:-} in
	down) in_box ip link set "$1" down ;;
	up)
		# the kernel drops an interface's routes with its link; put the default
		# route back, as a box's DHCP client or connection manager does
		in_box ip link set "$1" up
		local n=${1#up}
		in_box ip route replace default via "198.18.$((n + 1)).1" dev "$1" metric "$((100 * (n + 1)))"
		;;
	*) usage ;;
	esac
}

case $cmd in
up) [ $# -eq 0 ] || usage; up ;;
down) [ $# -eq 0 ] || usage; down ;;
blackhole) [ $# -eq 2 ] || usage; blackhole "$@" ;;
link) [ $# -eq 2 ] || usage; link "$@" ;;
exec)
	[ $# -ge 2 ] || usage
	where=$1
	shift
	case $where in box) in_box "$@" ;; net) in_net "$@" ;; *) usage ;; esac
	;;
*) usage ;;
esac
