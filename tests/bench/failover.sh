#!/usr/bin/env bash
# make bench-failover: how long the stream is gone when the primary uplink
# fails, for shopcast and for the naive approach (a plain rtmp2sink pipeline
# that reconnects on error), in the same run, in a network-namespace lab
# (tests/netns/lab.sh: a "box" with uplinks up0 and up1 to an "internet" that
# runs the ingests; addresses in 198.18.0.0/15 only). Needs root.
#
#   tests/bench/failover.sh BUILD_DIR [TRIALS]
#
# Faults: silent-blackhole (nftables drops everything on up0; the link stays
# up) and link-down (up0 loses its link). Each trial starts fresh ingests and
# a fresh pusher, lets the stream run steadily, injects the fault at T0 and
# records when video of a new publication arrives at the ingest, as a
# player there sees it (tests/bench/arrival-watch): the first video packet
# after T0 that is the first on the backup ingest (where shopcast goes when
# its path fails) or whose timestamp starts again (a new connection to the
# same ingest: the naive push can choose neither uplink nor ingest). Packets
# of the old connection that still arrive after T0 do not count. A trial
# with no new publication by the cap (CAP_S) counts as the cap.
# Prints per fault and approach the median and p90 of TRIALS (default 10),
# then the ratio naive/shopcast of the medians.
set -euo pipefail
: "${1:?usage: failover.sh BUILD_DIR [TRIALS]}"
. "$(dirname "$0")/lab-bench.sh"
lab_bench_init failover fo "$1"
trials=${2:-10}

CAP_S=30      # a trial without recovery by then counts as CAP_S
STEADY_S=3    # stream time before the fault
KEY=bench-key

start_ingests() {
	start_ingest "$work/in1" 1935
	start_ingest "$work/in2" 1936
	wait_listening 1935 1936 && return 0
	echo "failover.sh: the ingests did not start" >&2
	exit 1
}

{
	box_config
	cat <<-CONF
		[panel]
		listen = off
		[destination bench]
		url = rtmp://$INGEST:1935/live
		backup-url = rtmp://$INGEST:1936/live
		key = $KEY
	CONF
	uplinks_config 600
} > "$work/shopcast.ini"

start_pusher() { # approach
	case $1 in
	shopcast) start_shopcastd "$work/pusher.log" ;;
	naive)
		"${box[@]}" "$build/tests/naive-push" "rtmp://$INGEST:1935/live/$KEY" $((CAP_S + 30)) \
			>"$work/pusher.log" 2>&1 &
		pids+=($!)
		;;
	esac
}

inject() { # fault on|off
	case $1 in
	silent-blackhole) "$lab_sh" blackhole "$lab" up0 "$2" ;;
	link-down) "$lab_sh" link "$lab" up0 "$([ "$2" = on ] && echo down || echo up)" ;;
	esac
}

# One trial; prints the seconds from the fault to video again (or CAP_S).
trial() { # approach fault
	local approach=$1 fault=$2 arrivals=$work/arrivals
	start_ingests
	: > "$arrivals"
	"${net[@]}" "$build/tests/arrival-watch" $((CAP_S + 20)) "rtmp://$INGEST:1935/live/$KEY" \
		"rtmp://$INGEST:1936/live/$KEY" > "$arrivals" &
	pids+=($!)
	start_pusher "$approach"
	for _ in $(seq 100); do [ "$(wc -l < "$arrivals")" -gt 30 ] && break; sleep 0.1; done
	sleep "$STEADY_S"
	local t0=${EPOCHREALTIME/./}
	inject "$fault" on
	local got=""
	for _ in $(seq $((CAP_S * 20))); do
		got=$(awk -v t0="$t0" '
			$1 > t0 && (!seen[$2] || $3 < last[$2] - 500) { print $1; exit }
			{ seen[$2] = 1; last[$2] = $3 }' "$arrivals")
		[ -n "$got" ] && break
		sleep 0.05
	done
	inject "$fault" off
	stop_pids
	if [ -n "$got" ]; then
		awk -v g="$got" -v t="$t0" 'BEGIN { printf "%.3f", (g - t) / 1e6 }'
	else
		printf '%s' "$CAP_S"
	fi
	# and when the pusher itself first said something was wrong (naive-push's "error" lines)
	awk -v t0="$t0" -v cap="$CAP_S" '$1 > t0 && $2 == "error" { printf " %.3f\n", ($1 - t0) / 1e6; f = 1; exit }
		END { if (!f) printf " %s\n", cap }' "$work/pusher.log"
}

summary() { # fault approach values...
	local fault=$1 approach=$2
	shift 2
	printf '%s\n' "$@" | sort -g | awk -v f="$fault" -v a="$approach" '
		{ v[NR] = $1 }
		END {
			n = NR; m = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
			p = v[int(0.9 * n + 0.999999)]; if (p == "") p = v[n]
			printf "failover %s %s median=%.2fs p90=%.2fs trials=%d min=%.2fs max=%.2fs\n",
				f, a, m, p, n, v[1], v[n]
		}'
}

for fault in silent-blackhole link-down; do
	declare -A median=()
	for approach in shopcast naive; do
		values=() detected=()
		for i in $(seq "$trials"); do
			read -r value detect < <(trial "$approach" "$fault")
			values+=("$value")
			detected+=("$detect")
		done
		line=$(summary "$fault" "$approach" "${values[@]}")
		echo "$line"
		median[$approach]=$(sed -n 's/.* median=\([0-9.]*\)s.*/\1/p' <<< "$line")
		# how long rtmp2sink took to notice at all (shopcast notices without an error)
		if [ "$approach" = naive ]; then summary "$fault" naive-notices-fault "${detected[@]}"; fi
	done
	awk -v f="$fault" -v s="${median[shopcast]}" -v n="${median[naive]}" \
		'BEGIN { printf "failover %s ratio naive/shopcast=%.1f\n", f, (s > 0 ? n / s : 0) }'
done
