#!/usr/bin/env bash
# make bench: how fast a show action reaches the program. shopcastd runs the
# simulated board at 1080p30 (x264 veryfast, as on air) with the example run
# of show, streaming to a local ingest; shopcastctl sends show actions (a new
# stock number or a price correction, one every INTERVAL ms, as an operator
# hammering the panel would) and the on-air audit log says, for each, the
# stream time of the program when it was asked (the latest frame sent to the
# encoder) and of the first frame that showed it. The latency in frames is
# their difference over the frame period: 1 is the very next frame.
#
#   tests/bench/overlay-latency.sh BUILD_DIR [SAMPLES [INTERVAL_MS]]
set -euo pipefail

build=$(cd "${1:?usage: overlay-latency.sh BUILD_DIR [SAMPLES [INTERVAL_MS]]}" && pwd)
samples=${2:-300}
interval_ms=${3:-150}
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ctl() { "$build/tools/shopcastctl" --socket "$work/control" "$@" > /dev/null; }

ingest_pid="" daemon_pid=""
cleanup() {
	[ -z "$daemon_pid" ] || { kill -TERM "$daemon_pid" 2>/dev/null; wait "$daemon_pid" 2>/dev/null || true; }
	[ -z "$ingest_pid" ] || { kill -TERM "$ingest_pid" 2>/dev/null; wait "$ingest_pid" 2>/dev/null || true; }
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The example show, with the rate limit at the interval used here.
sed "s/^min-interval-ms = .*/min-interval-ms = $((interval_ms / 2))/" \
	"$top/overlays/examples/winter-warmth.ini" > "$work/show.ini"
cat > "$work/bench.ini" <<CONF
[box]
board = sim
start = live
board-dir = $top/board
log-level = warning
control-socket = $work/control
show = $work/show.ini
audit-log = $work/audit.jsonl
[video]
width = 1920
height = 1080
framerate = 30
bitrate = 4500
x264-preset = veryfast
[destination bench]
url = rtmp://127.0.0.1:$port/live
key = latency
CONF

"$top/tools/shopcast-ingest" --dir "$work/ingest" --port "$port" 2>/dev/null &
ingest_pid=$!
for _ in $(seq 50); do ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.1; done
"$build/firmware/shopcastd" --config "$work/bench.ini" 2> "$work/shopcastd.log" &
daemon_pid=$!
alive() {
	kill -0 "$daemon_pid" 2>/dev/null && return 0
	echo "overlay-latency: shopcastd stopped; its log:" >&2
	tail -n 20 "$work/shopcastd.log" >&2
	exit 1
}
for _ in $(seq 100); do [ -S "$work/control" ] && break; alive; sleep 0.1; done
sleep 2 # the pipeline playing, the encoder warm
alive

pause=$(awk -v ms="$interval_ms" 'BEGIN { print ms / 1000 }')
refused=0
step() { alive; ctl "$@" || refused=$((refused + 1)); sleep "$pause"; }
step show goto 1
step show stock on
for i in $(seq "$samples"); do
	if (( i % 4 == 0 )); then
		step show price "$(( 150 + i % 40 ))"
	else
		step show stock "$(( 500 - i ))"
	fi
done
sleep 1
kill -TERM "$daemon_pid"; wait "$daemon_pid" || true; daemon_pid=""

python3 - "$work/audit.jsonl" "$samples" "$refused" <<'PY'
import json, sys
frame_ms = 1000 / 30
rows = [json.loads(l) for l in open(sys.argv[1])]
lat = sorted((r["stream_ms"] - r["asked_ms"]) / frame_ms
             for r in rows if r["kind"] in ("stock", "price-correction") and "asked_ms" in r)
if not lat:
    sys.exit("overlay-latency: no action reached the audit log")
def pct(p):
    return lat[min(len(lat) - 1, int(round(p / 100 * (len(lat) - 1))))]
print(f"overlay-latency 1080p30 p50_frames={pct(50):.2f} p99_frames={pct(99):.2f} "
      f"max_frames={lat[-1]:.2f} samples={len(lat)} asked={sys.argv[2]} refused={sys.argv[3]}")
PY
