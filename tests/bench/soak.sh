#!/usr/bin/env bash
# make soak DURATION=SECONDS: shopcastd for a long stretch as in a studio
# day, watched for growth. In a network lab (tests/netns/lab.sh: uplinks up0
# and up1 to an "internet" with two ingests), shopcastd on the simulated
# board at 720p30 streams to two destinations, the run of show changes on air
# every 3 s (products, stock, flash sales, lower thirds), two panels keep the
# status feed and the preview open, and every FAULT_EVERY seconds the primary
# uplink fails for FAULT_S seconds (alternately silent and link down).
#
# Every SAMPLE_S seconds: shopcastd's RSS, open descriptors, CPU (percent of a
# core since the last sample), what its destinations dropped, and the RSS split
# into anonymous memory and mapped files, with the count of threads. At the end:
#   soak duration_s=N rss_kb_first=N rss_kb_last=N rss_kb_per_h=N
#        anon_kb_first=N anon_kb_last=N anon_kb_per_h=N fds_first=N fds_last=N
#        fds_per_h=N cpu_percent_median=N dropped_in_faults=N
#        dropped_outside_faults=N faults=N
# The slopes are fitted over the second half (after warm-up). Exit status 1
# when shopcastd dies. Root (network namespaces).
#
#   tests/bench/soak.sh BUILD_DIR [DURATION_S]
set -uo pipefail
: "${1:?usage: soak.sh BUILD_DIR [DURATION_S]}"
. "$(dirname "$0")/lab-bench.sh"
STOP_TENTHS=80
lab_bench_init soak sk "$1"
duration=${2:-3600}

SAMPLE_S=${SAMPLE_S:-10}
FAULT_EVERY=${FAULT_EVERY:-120}
FAULT_S=${FAULT_S:-10}
daemon_pid=""

for port in 1935 1936; do
	start_ingest "$work/in$port" "$port"
done
wait_listening 1935 1936

sed "s/^min-interval-ms = .*/min-interval-ms = 500/" "$top/overlays/examples/winter-warmth.ini" > "$work/show.ini"
{
	box_config
	cat <<-CONF
		log-level = warning
		show = $work/show.ini
		audit-log = $work/audit.jsonl
		[video]
		width = 1280
		height = 720
		framerate = 30
		bitrate = 2500
		[panel]
		listen = 127.0.0.1:8080
		passwords = $work/passwords
		[destination one]
		url = rtmp://$INGEST:1935/live
		key = soak-one
		[destination two]
		url = rtmp://$INGEST:1936/live
		key = soak-two
	CONF
	uplinks_config 20
} > "$work/shopcast.ini"
start_shopcastd "$work/shopcastd.log"
for _ in $(seq 100); do [ -S "$work/control" ] && break; sleep 0.1; done
alive() {
	kill -0 "$daemon_pid" 2>/dev/null && return 0
	echo "soak: shopcastd stopped; its log:" >&2
	tail -n 30 "$work/shopcastd.log" >&2
	exit 1
}
sleep 3
alive
password=soak-$$-$RANDOM
echo "$password" | ctl password technician > /dev/null
echo "op-$password" | ctl password operator > /dev/null
SHOPCAST_PASSWORD=op-$password "${box[@]}" "$build/tests/panel-client" load http://127.0.0.1:8080 operator 2 \
	"$((duration + 30))" > "$work/panels.json" 2>&1 &
pids+=($!)

# the show on air: a change every 3 s, round and round
actions=("show next" "show stock on" "show flash start" "show lower 小雅 主播" "show coupon on"
	"show stock 321" "show flash stop" "show lower off" "show coupon off" "show flash reset")
show_loop() {
	local i=0
	ctl show goto 1 > /dev/null
	while kill -0 "$daemon_pid" 2>/dev/null; do
		# shellcheck disable=SC2086
		ctl ${actions[$((i % ${#actions[@]}))]} > /dev/null 2>&1
		i=$((i + 1))
		[ $((i % ${#actions[@]})) -ne 0 ] || ctl show goto 1 > /dev/null 2>&1
		sleep 3
	done
}
show_loop &
pids+=($!)

# faults: the primary uplink, alternately silent and link down
fault_loop() {
	local n=0
	while kill -0 "$daemon_pid" 2>/dev/null; do
		sleep "$FAULT_EVERY"
		echo "$(date +%s.%N) on" >> "$work/faults"
		if [ $((n % 2)) -eq 0 ]; then
			"$lab_sh" blackhole "$lab" up0 on
			sleep "$FAULT_S"
			"$lab_sh" blackhole "$lab" up0 off
		else
			"$lab_sh" link "$lab" up0 down
			sleep "$FAULT_S"
			"$lab_sh" link "$lab" up0 up
		fi
		echo "$(date +%s.%N) off" >> "$work/faults"
		n=$((n + 1))
	done
}
: > "$work/faults"
fault_loop &
pids+=($!)

hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$daemon_pid/stat"; }
# the destinations' dropped tags; the last figure when the status cannot be read
last_drop=0
dropped() {
	local n
	n=$(ctl status 2>/dev/null | python3 -c 'import json,sys; print(sum(d.get("tags_dropped",0) for d in json.load(sys.stdin)["destinations"]))' 2>/dev/null)
	[ -n "$n" ] && last_drop=$n
	echo "$last_drop"
}
echo "# t_s rss_kb fds cpu_percent dropped_tags anon_kb file_kb threads" > "$work/samples"
# the faults and the samples stamped to the millisecond, so that a drop in
# the first second of a fault is not counted before it
start_ns=$(date +%s%N)
start=$((start_ns / 1000000000))
last_ticks=$(cpu_ticks)
last_t=$start
printf 'soak: %s s, a sample every %s s, a fault every %s s\n' "$duration" "$SAMPLE_S" "$FAULT_EVERY"
while [ $(($(date +%s) - start)) -lt "$duration" ]; do
	sleep "$SAMPLE_S"
	alive
	now=$(date +%s)
	ticks=$(cpu_ticks)
	read -r rss anon file threads < <(awk '/^VmRSS:/ { r = $2 } /^RssAnon:/ { a = $2 }
		/^RssFile:/ { f = $2 } /^Threads:/ { t = $2 } END { print r, a, f, t }' "/proc/$daemon_pid/status")
	fds=$(ls "/proc/$daemon_pid/fd" | wc -l)
	cpu=$(awk -v d="$((ticks - last_ticks))" -v hz="$hz" -v s="$((now - last_t))" 'BEGIN { printf "%.1f", s ? 100 * d / hz / s : 0 }')
	dropped > "$work/drop"
	drop=$(cat "$work/drop")
	t_ms=$((($(date +%s%N) - start_ns) / 1000000))
	printf '%d.%03d %s %s %s %s %s %s %s\n' $((t_ms / 1000)) $((t_ms % 1000)) "$rss" "$fds" "$cpu" "$drop" \
		"$anon" "$file" "$threads" | tee -a "$work/samples"
	last_ticks=$ticks last_t=$now
done

python3 - "$work/samples" "$work/faults" "$start_ns" "$FAULT_S" <<'PY'
import statistics, sys
samples = [list(map(float, l.split())) for l in open(sys.argv[1])
           if not l.startswith("#") and len(l.split()) == 8]
faults = [l.split() for l in open(sys.argv[2])]
start, fault_s = int(sys.argv[3]) / 1e9, float(sys.argv[4])
ons = [float(t) - start for t, what in faults if what == "on"]
def in_fault(t0, t1):  # a fault (and 15 s after it) overlaps (t0, t1]
    return any(on < t1 and on + fault_s + 15 > t0 for on in ons)
def slope_per_h(col):
    half = samples[len(samples) // 2:]
    if len(half) < 2:
        return 0.0
    xs = [s[0] for s in half]; ys = [s[col] for s in half]
    mx, my = statistics.mean(xs), statistics.mean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return 3600 * sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else 0.0
drop_in = drop_out = 0
prev_t, prev_d = 0.0, samples[0][4] if samples else 0
for t, _, _, _, d, _, _, _ in samples:
    if in_fault(prev_t, t):
        drop_in += d - prev_d
    else:
        drop_out += d - prev_d
    prev_t, prev_d = t, d
print("soak duration_s=%d rss_kb_first=%d rss_kb_last=%d rss_kb_per_h=%.0f anon_kb_first=%d anon_kb_last=%d "
      "anon_kb_per_h=%.0f fds_first=%d fds_last=%d fds_per_h=%.1f cpu_percent_median=%.1f dropped_in_faults=%d "
      "dropped_outside_faults=%d faults=%d" % (
      samples[-1][0], samples[0][1], samples[-1][1], slope_per_h(1), samples[0][5], samples[-1][5],
      slope_per_h(5), samples[0][2], samples[-1][2],
      slope_per_h(2), statistics.median(s[3] for s in samples), drop_in, drop_out, len(ons)))
PY
