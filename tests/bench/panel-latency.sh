#!/usr/bin/env bash
# make bench: the panel's numbers. shopcastd runs the simulated board at
# 1080p30 (x264 veryfast, as on air), live with the example run of show.
#
# panel-latency: a client logged in as the operator sets the stock of the
# product on air through the API (POST /api/v1/show/stock), SAMPLES times,
# one every INTERVAL ms; the on-air audit log gives the wall-clock time of
# the first frame that showed each new number, handed to the encoder. The
# latency is that time minus when the client sent the request (loopback).
# For comparison the same actions through shopcastctl on the Unix socket.
#
# panel-load: shopcastd's CPU over SECONDS with no panel open, then with 20
# feeds each taking the status and the preview (about 5 JPEG frames a second),
# as percent of one core, three rounds of each; the median difference is what
# the panel costs.
#
#   tests/bench/panel-latency.sh BUILD_DIR [SAMPLES [INTERVAL_MS [SECONDS]]]
set -euo pipefail

build=$(cd "${1:?usage: panel-latency.sh BUILD_DIR [SAMPLES [INTERVAL_MS [SECONDS]]]}" && pwd)
samples=${2:-300}
interval_ms=${3:-150}
seconds=${4:-30}
bench=panel-latency
. "$(dirname "$0")/live-show.sh"
live_show_start "$interval_ms"

password=bench-password-$$
echo "$password" | ctl password technician > /dev/null
echo "operator-$password" | ctl password operator > /dev/null
export SHOPCAST_PASSWORD=operator-$password
url=http://127.0.0.1:$panel_port

step show goto 1
step show stock on
"$build/tests/panel-client" latency "$url" operator "$samples" "$interval_ms" > "$work/sent.jsonl"
sleep 1
alive

# shopcastd's CPU time (utime + stime, in clock ticks) over a stretch,
# alternately without and with the 20 feeds, three times
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$daemon_pid/stat"; }
hz=$(getconf CLK_TCK)
phases=()
for round in 1 2 3; do
	t0=$(cpu_ticks); sleep "$seconds"; t1=$(cpu_ticks)
	"$build/tests/panel-client" load "$url" operator 20 "$((seconds + 2))" > "$work/load-$round.json" &
	client=$!
	sleep 2 # the feeds open and the preview starts
	t2=$(cpu_ticks); sleep "$seconds"; t3=$(cpu_ticks)
	wait "$client"
	phases+=("$((t1 - t0)),$((t3 - t2))")
	alive
done
live_show_stop

python3 - "$work" "$hz" "$seconds" "${phases[@]}" <<'PY'
import json, statistics, sys
from datetime import datetime
work, hz, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
phases = [tuple(float(x) for x in p.split(",")) for p in sys.argv[4:]]
audit, sent = work + "/audit.jsonl", work + "/sent.jsonl"
def wall_us(ts):
    return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp() * 1e6
shown = {}
for line in open(audit):
    r = json.loads(line)
    if r["kind"] == "stock" and "stock" in r["detail"]:
        shown.setdefault(r["detail"]["stock"], wall_us(r["ts"]))
lat, refused = [], 0
for line in open(sent):
    s = json.loads(line)
    if s["status"] != 200:
        refused += 1
    elif s["stock"] in shown:
        lat.append((shown[s["stock"]] - s["sent_us"]) / 1000)
if not lat:
    sys.exit("panel-latency: no action reached the audit log")
lat.sort()
def pct(p):
    return lat[min(len(lat) - 1, int(round(p / 100 * (len(lat) - 1))))]
print(f"panel-latency p50_ms={pct(50):.1f} p99_ms={pct(99):.1f} max_ms={lat[-1]:.1f} "
      f"samples={len(lat)} refused={refused} (request sent -> first frame showing it, at the encoder)")
def percent(ticks):
    return ticks / hz / seconds * 100
costs = sorted(percent(on) - percent(off) for off, on in phases)
feeds = [json.load(open(f"{work}/load-{i}.json")) for i in range(1, len(phases) + 1)]
print(f"panel-load clients={min(f['clients'] for f in feeds)} "
      f"cpu_percent={statistics.median(costs):.1f} (median of {len(costs)} rounds "
      f"[{costs[0]:.1f}..{costs[-1]:.1f}] of {seconds:.0f} s; shopcastd "
      f"{statistics.median(percent(off) for off, _ in phases):.1f}% of a core with no panel open; "
      f"per feed {statistics.median(f['status_messages'] for f in feeds) / 20 / (seconds + 2):.1f} "
      f"status messages/s, {statistics.median(f['preview_frames'] for f in feeds) / 20 / (seconds + 2):.1f} "
      f"preview frames/s)")
PY
