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
bench=button-latency
. "$(dirname "$0")/live-show.sh"
live_show_start "$interval_ms" $'[button 2]\nshort = next-product\n[button 3]\nshort = previous-product'

step show goto 1
# forth over five products and back, again and again
for i in $(seq "$samples"); do
	if (( (i - 1) / 5 % 2 == 0 )); then step studio press 2 80; else step studio press 3 80; fi
done
sleep 1
ctl studio > "$work/studio.json"
live_show_stop

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
