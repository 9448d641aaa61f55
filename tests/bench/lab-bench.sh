# shellcheck shell=bash
# lab-bench.sh - sourced by the benchmarks that run shopcastd in a network
# lab (tests/netns/lab.sh: a "box" with uplinks up0 and up1 to an "internet"
# whose 198.18.0.1 runs the ingests; addresses in 198.18.0.0/15 only):
# abr.sh, failover.sh, soak.sh, fault-matrix.sh. Needs root.
#
#   . "$(dirname "$0")/lab-bench.sh"
#   lab_bench_init NAME PREFIX BUILD_DIR
#
# lab_bench_init checks for root (exit 77 without), sets build, top, lab_sh,
# work (a temporary directory), lab (PREFIX and this shell's PID: a name no
# other run shares), INGEST, net and box (`ip netns exec` of each side; it
# execs the command, so $! of a background one is the command's PID), and
# pids (what was started, stopped by stop_pids); brings the lab up, and on
# exit stops what was started, takes the lab down and removes work (KEEP=1
# keeps it).
# STOP_TENTHS (default 50) is how long each process is given after SIGTERM.

lab_bench_init() { # name prefix build_dir
	local name=$1 prefix=$2
	build=$(cd "$3" && pwd)
	top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	lab_sh="$top/tests/netns/lab.sh"
	[ "$(id -u)" -eq 0 ] || { echo "$name.sh: needs root (network namespaces)" >&2; exit 77; }
	INGEST=198.18.0.1
	lab="$prefix$$"
	work=$(mktemp -d)
	pids=()
	trap lab_bench_cleanup EXIT
	trap 'exit 130' INT TERM
	"$lab_sh" up "$lab"
	net=(ip netns exec "$lab-net")
	box=(ip netns exec "$lab-box")
}

# SIGTERM to all that was started, then SIGKILL to what is left after
# STOP_TENTHS tenths of a second.
stop_pids() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do
		for _ in $(seq "${STOP_TENTHS:-50}"); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	pids=()
}

lab_bench_cleanup() {
	stop_pids
	"$lab_sh" down "$lab" 2>/dev/null || true
	if [ -n "${KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}

# An ingest in the internet on INGEST:PORT, its files in DIR (made anew).
start_ingest() { # dir port
	rm -rf "$1"
	"${net[@]}" "$top/tools/shopcast-ingest" --dir "$1" --listen "$INGEST" --port "$2" >/dev/null 2>&1 &
	pids+=($!)
}

# Waits at most 5 s until something listens on each PORT in the internet;
# 1 if not.
wait_listening() { # port...
	local filter="" port
	for port; do filter="${filter:+$filter or }sport = :$port"; done
	for _ in $(seq 50); do
		[ "$("${net[@]}" ss -Hltn "$filter" | grep -c .)" -eq $# ] && return 0
		sleep 0.1
	done
	return 1
}

# The [box] group every lab config starts with: the sim board, live at
# once, the control socket in work.
box_config() {
	printf '[box]\nboard = sim\nstart = live\nboard-dir = %s\ncontrol-socket = %s\n' \
		"$top/board" "$work/control"
}

# Both uplinks of the lab's box, probing the ingests' address, and failover
# back to the wired one after HOLD_S seconds of health.
uplinks_config() { # hold_s
	printf '[uplink wired]\ninterface = up0\nprobe-hosts = %s\n' "$INGEST"
	printf '[uplink lte]\ninterface = up1\nprobe-hosts = %s\n' "$INGEST"
	printf '[failover]\nhold-time = %s\n' "$1"
}

# shopcastd in the box with work/shopcast.ini, its stderr to LOG; its PID in
# daemon_pid.
start_shopcastd() { # log
	"${box[@]}" "$build/firmware/shopcastd" --config "$work/shopcast.ini" >/dev/null 2>"$1" &
	daemon_pid=$!
	pids+=("$daemon_pid")
}

ctl() { "$build/tools/shopcastctl" --socket "$work/control" "$@"; }
