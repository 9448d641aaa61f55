#!/usr/bin/env bash
# make bench: what the local recording costs and what a power cut loses.
#
#   tests/bench/recording.sh BUILD_DIR [SECONDS [TRIALS]]
#
# 1. shopcastd's CPU (user+system) over SECONDS of a live 720p30 show on the
#    simulated board, recording on beside recording off ([recording] enabled =
#    false), in the same run: the recording remuxes the encoded stream, it
#    never encodes again, so the two should be close.
# 2. SIGKILL 8.5 s into a segment: the media lost is the show time the
#    recorder had written (shopcastctl recording, just before the kill) minus
#    the last frame a reader finds in the segment (ffprobe).
# Each figure: the median of TRIALS runs (default 3 x 20 s; 5 kills), range beside it.
set -euo pipefail

build=$(cd "${1:?usage: recording.sh BUILD_DIR [SECONDS [TRIALS]]}" && pwd)
seconds=${2:-20}
trials=${3:-3}
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

ingest_pid="" daemon_pid=""
cleanup() {
	[ -z "$daemon_pid" ] || kill -KILL "$daemon_pid" 2>/dev/null || true
	[ -z "$ingest_pid" ] || { kill -TERM "$ingest_pid" 2>/dev/null; wait "$ingest_pid" 2>/dev/null || true; }
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
"$top/tools/shopcast-ingest" --dir "$work/ingest" --port "$port" 2>/dev/null &
ingest_pid=$!
for _ in $(seq 50); do ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.1; done

config() { # enabled -> config path
	local conf="$work/bench-$1.ini"
	cat > "$conf" <<-CONF
	[box]
	board = sim
	start = live
	board-dir = $top/board
	control-socket = $work/control
	[panel]
	listen = off
	[video]
	width = 1280
	height = 720
	bitrate = 2500
	x264-preset = veryfast
	[recording]
	enabled = $1
	folder = $work/recordings-$1
	segment-length = 10
	keep-free = 0
	[destination bench]
	url = rtmp://127.0.0.1:$port/live
	key = bench
	CONF
	mkdir -p "$work/recordings-$1"
	echo "$conf"
}

ctl() { "$build/tools/shopcastctl" --socket "$work/control" "$@"; }

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

start() { # config
	"$build/firmware/shopcastd" --config "$1" 2>> "$work/shopcastd.log" &
	daemon_pid=$!
	for _ in $(seq 100); do ctl recording > /dev/null 2>&1 && return; sleep 0.1; done
	echo "recording.sh: shopcastd did not answer; its log:" >&2
	cat "$work/shopcastd.log" >&2
	exit 1
}

stop() {
	kill -TERM "$daemon_pid"
	wait "$daemon_pid" || true
	daemon_pid=""
}

run_cpu() { # enabled -> CPU seconds over $seconds
	start "$(config "$1")"
	sleep 3
	local t0 t1
	t0=$(cpu_ticks "$daemon_pid")
	sleep "$seconds"
	t1=$(cpu_ticks "$daemon_pid")
	stop
	awk -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) / hz }'
}

stats() { # values... -> "median [min-max]"
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.2f [%.2f-%.2f]", m, v[1], v[NR] }'
}

on=() off=()
for _ in $(seq "$trials"); do
	off+=("$(run_cpu false)")
	on+=("$(run_cpu true)")
done
median() { stats "$@" | cut -d' ' -f1; }
ratio=$(awk -v a="$(median "${on[@]}")" -v b="$(median "${off[@]}")" 'BEGIN { printf "%.3f", a / b }')
echo "recording CPU, 720p30 2500 kb/s, shopcastd CPU s per $seconds s (median [range] of $trials):"
echo "  recording off: $(stats "${off[@]}")   recording on: $(stats "${on[@]}")   on/off: $ratio"

lost=()
for i in $(seq 5); do
	start "$(config true)"
	sleep 8.5 # 10 s segments: the first one is 8.5 s along
	written=$(ctl recording | sed -n 's/.*"duration_ms":\([0-9]*\).*/\1/p')
	kill -KILL "$daemon_pid"
	wait "$daemon_pid" 2>/dev/null || true
	daemon_pid=""
	segment=$(ls -d "$work"/recordings-true/*/ | tail -1)segment-001.mkv
	last=$(ffprobe -v quiet -select_streams v -show_entries packet=pts_time -of csv=p=0 "$segment" | tail -1)
	lost+=("$(awk -v w="$written" -v l="$last" 'BEGIN { printf "%.3f", w / 1000 - l }')")
	rm -rf "$work"/recordings-true/*
done
echo "SIGKILL 8.5 s into a segment: media lost, s (median [range] of 5): $(stats "${lost[@]}")"
