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
bench=overlay-latency
. "$(dirname "$0")/live-show.sh"
live_show_start "$interval_ms"

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
live_show_stop

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
