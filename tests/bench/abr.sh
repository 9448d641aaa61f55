#!/usr/bin/env bash
# make bench-abr: how the encoder's bitrate follows the uplink, in a
# network-namespace lab (tests/netns/lab.sh; addresses in 198.18.0.0/15 only),
# shopcast's adaptive bitrate beside a fixed-bitrate run of the same pipeline
# ([adaptive] enabled = false). Needs root.
#
#   tests/bench/abr.sh BUILD_DIR [TRIALS]
#
# The box streams 640x360 30 fps noise (the sim board's "snow" pattern, which
# x264 cannot squeeze below the bitrate asked for) at 4000 kb/s video + 128 kb/s
# audio to an nginx-rtmp ingest; its uplink up0 is shaped with tc tbf (a
# 200 ms bottleneck buffer). Each trial, one shopcastd run:
#   steady    6 Mb/s for STEADY_S
#   drop      2 Mb/s (half the bitrate) for DROP_S
#   recover   6 Mb/s for RECOVER_S, then STEADY_COUNT_S more on the same link
#   limited   3 Mb/s: SETTLE_S to settle, then STEADY_COUNT_S counted
# and prints:
#   abr drop-to-half settle=S max_queue=S   time from the drop until the
#       encoder's rate plus audio is below the capacity (the rate event), and
#       the largest media latency added at the ingest (a player there: arrival
#       time minus stream time, above its lowest in the steady phase)
#   abr recover time_to_90pct=S             from the link's return until the
#       encoder is back at 90% of the rate before the drop
#   abr steady changes_per_min=N            rate changes on the steady 6 Mb/s
#       link, once the rate is back (STEADY_COUNT_S after RECOVER_S)
#   abr steady-limited changes_per_min=N    the same on a steady 3 Mb/s link,
#       below the ceiling: the controller's steps up that fail and are undone
#   abr freeze max_gap=S                    the longest stretch of stream time
#       without video at the ingest (GOPs dropped as the last resort)
# with the median and range over TRIALS (default 3), then the same for the
# fixed bitrate.
set -euo pipefail
: "${1:?usage: abr.sh BUILD_DIR [TRIALS]}"
. "$(dirname "$0")/lab-bench.sh"
lab_bench_init abr abr "$1"
trials=${2:-3}

STEADY_S=${STEADY_S:-10}
DROP_S=${DROP_S:-20}
RECOVER_S=${RECOVER_S:-25}
SETTLE_S=${SETTLE_S:-25}
STEADY_COUNT_S=${STEADY_COUNT_S:-60}
HIGH=6mbit LOW=2mbit LIMITED=3mbit
CAPACITY_LOW_KBPS=2000
BITRATE=4000 AUDIO=128
KEY=bench-key

shape() { # rate
	"${box[@]}" tc qdisc replace dev up0 root tbf rate "$1" burst 32k latency 200ms
}

now_us() { echo "${EPOCHREALTIME/./}"; }
# a sleep that a signal interrupts at once (bash runs traps only between commands)
pause() { sleep "$1" & wait $!; }

write_config() { # adaptive: true|false
	{
		box_config
		cat <<-CONF
			[panel]
			listen = off
			[video]
			width = 640
			height = 360
			bitrate = $BITRATE
			x264-preset = ultrafast
			device = snow
			[audio]
			bitrate = $AUDIO
			[destination bench]
			url = rtmp://$INGEST:1935/live
			key = $KEY
			[adaptive]
			enabled = $1
		CONF
	} > "$work/shopcast.ini"
}

# The rate events as "<realtime us> <new kb/s>", from the journal.
rate_events() {
	{ ctl events 2000 || true; } | { grep '"kind":"bitrate"' || true; } | while IFS= read -r line; do
		ts=$(sed -n 's/.*"ts":"\([^"]*\)".*/\1/p' <<< "$line")
		kbps=$(sed -n 's/.*"detail":"[0-9]* -> \([0-9]*\) kb\/s.*/\1/p' <<< "$line")
		echo "$(date -d "$ts" +%s%6N) $kbps"
	done
}

# One trial, in a subshell; prints "settle max_queue recover steady limited max_gap".
trial() { # adaptive
	trap stop_pids EXIT # a subshell: whatever ends it, what it started stops
	trap 'exit 130' INT TERM
	write_config "$1"
	shape "$HIGH"
	start_ingest "$work/in" 1935
	wait_listening 1935 || true
	local total=$((STEADY_S + DROP_S + RECOVER_S + 2 * STEADY_COUNT_S + SETTLE_S + 30))
	"${net[@]}" "$build/tests/arrival-watch" "$total" "rtmp://$INGEST:1935/live/$KEY" > "$work/arrivals" &
	pids+=($!)
	start_shopcastd "$work/shopcastd.log"
	for _ in $(seq 150); do [ "$(wc -l < "$work/arrivals")" -gt 30 ] && break; sleep 0.1; done
	pause "$STEADY_S"
	local t_drop t_up t_limited
	t_drop=$(now_us); shape "$LOW"; pause "$DROP_S"
	t_up=$(now_us); shape "$HIGH"; pause $((RECOVER_S + STEADY_COUNT_S))
	t_limited=$(now_us); shape "$LIMITED"; pause $((SETTLE_S + STEADY_COUNT_S))
	rate_events > "$work/rates"
	stop_pids
	local count_us=$((STEADY_COUNT_S * 1000000))
	awk -v td="$t_drop" -v tu="$t_up" -v tl="$t_limited" -v cap="$CAPACITY_LOW_KBPS" \
		-v audio="$AUDIO" -v pre="$BITRATE" -v rs="$((RECOVER_S * 1000000))" \
		-v ss="$((SETTLE_S * 1000000))" -v cu="$count_us" '
		FILENAME ~ /rates$/ {
			if ($1 > td && $1 < tu && settle == "" && $2 + audio < cap) settle = ($1 - td) / 1e6
			if ($1 > tu && $1 < tl && recover == "" && $2 >= 0.9 * pre) recover = ($1 - tu) / 1e6
			if ($1 > tu + rs && $1 <= tu + rs + cu) steady++
			if ($1 > tl + ss && $1 <= tl + ss + cu) limited++
			next
		}
		{ # arrivals: realtime us, url index, stream ms
			lag = $1 / 1000 - $3
			if ($1 < td && (base == "" || lag < base)) base = lag
			if ($1 >= td && $1 < tu && lag > maxlag) maxlag = lag
			if (seen && $3 - last > gap) gap = $3 - last
			last = $3; seen = 1
		}
		END {
			printf "%s %.2f %s %d %d %.2f\n", settle == "" ? "never" : sprintf("%.2f", settle),
				(maxlag - base) / 1000, recover == "" ? "never" : sprintf("%.2f", recover),
				steady * 60e6 / cu, limited * 60e6 / cu, gap / 1000
		}' "$work/rates" "$work/arrivals"
}

# median and range of a column; "never" sorts last
summary() { # values...
	printf '%s\n' "$@" | sed 's/^never$/999999/' | sort -g | awk '
		{ v[NR] = $1 }
		END {
			n = NR; m = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
			printf "%s [%s-%s]", (m >= 999999 ? "never" : m), (v[1] >= 999999 ? "never" : v[1]),
				(v[n] >= 999999 ? "never" : v[n])
		}'
}

for mode in adaptive fixed; do
	settle=() queue=() recover=() steady=() limited=() gap=()
	runs=$trials
	[ "$mode" = fixed ] && runs=1
	for i in $(seq "$runs"); do
		(trial "$([ "$mode" = adaptive ] && echo true || echo false)") > "$work/result"
		read -r s q r st li g < "$work/result"
		echo "trial $mode $i: settle=$s max_queue=$q recover=$r steady=$st limited=$li max_gap=$g" >&2
		settle+=("$s") queue+=("$q") recover+=("$r") steady+=("$st") limited+=("$li") gap+=("$g")
	done
	echo "abr drop-to-half $mode settle=$(summary "${settle[@]}")s max_queue=$(summary "${queue[@]}")s"
	echo "abr recover $mode time_to_90pct=$(summary "${recover[@]}")s"
	echo "abr steady $mode changes_per_min=$(summary "${steady[@]}")"
	echo "abr steady-limited $mode changes_per_min=$(summary "${limited[@]}")"
	echo "abr freeze $mode max_gap=$(summary "${gap[@]}")s"
done
