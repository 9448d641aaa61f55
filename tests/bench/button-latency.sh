#!/usr/bin/env bash
# make bench: how fast a studio button acts. shopcastd runs the simulated
# board at 1080p30 (x264 veryfast, as on air) with the example run of show,
# streaming to a local ingest; its simulated GPIO chip gets a finger's press
# (with contact bounce) of button 2 (next product) or 3 (previous product)
# every INTERVAL ms. The studio reports, for each press, the time from the
# press settling (the edge plus the 30 ms debounce) to the action applied;
# the on-air audit log gives, for each product change, the frames from the
# action to the first frame that showed it.
#
#   tests/bench/button-latency.sh BUILD_DIR [SAMPLES [INTERVAL_MS]]
set -euo pipefail

build=$(cd "${1:?usage: button-latency.sh BUILD_DIR [SAMPLES [INTERVAL_MS]]}" && pwd)
samples=${2:-200}
interval_ms=${3:-300}
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
[button 2]
short = next-product
[button 3]
short = previous-product
CONF

"$top/tools/shopcast-ingest" --dir "$work/ingest" --port "$port" 2>/dev/null &
ingest_pid=$!
for _ in $(seq 50); do ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.1; done
"$build/firmware/shopcastd" --config "$work/bench.ini" 2> "$work/shopcastd.log" &
daemon_pid=$!
alive() {
	kill -0 "$daemon_pid" 2>/dev/null && return 0
	echo "button-latency: shopcastd stopped; its log:" >&2
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
# forth over five products and back, again and again
for i in $(seq "$samples"); do
	if (( (i - 1) / 5 % 2 == 0 )); then step studio press 2 80; else step studio press 3 80; fi
done
sleep 1
"$build/tools/shopcastctl" --socket "$work/control" studio > "$work/studio.json"
kill -TERM "$daemon_pid"; wait "$daemon_pid" || true; daemon_pid=""

python3 - "$work/audit.jsonl" "$work/studio.json" "$samples" "$refused" <<'PY'
import json, sys
frame_ms = 1000 / 30
rows = [json.loads(l) for l in open(sys.argv[1])]
lat = sorted((r["stream_ms"] - r["asked_ms"]) / frame_ms
             for r in rows if r["kind"] == "product" and "asked_ms" in r)
act = json.load(open(sys.argv[2]))["press_to_action_us"]
if not lat or not act:
    sys.exit("button-latency: no press reached the program")
def pct(p):
    return lat[min(len(lat) - 1, int(round(p / 100 * (len(lat) - 1))))]
print(f"button-latency press_to_action p50_ms={act['p50'] / 1000:.2f} p99_ms={act['p99'] / 1000:.2f} "
      f"max_ms={act['max'] / 1000:.2f} presses={act['count']} asked={sys.argv[3]} refused={sys.argv[4]}")
print(f"button-latency 1080p30 action_to_frame p50_frames={pct(50):.2f} p99_frames={pct(99):.2f} "
      f"max_frames={lat[-1]:.2f} samples={len(lat)} (+ 30 ms debounce)")
PY
