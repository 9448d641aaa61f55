#!/usr/bin/env bash
# make valgrind, second part: shopcastd itself under Memcheck. The sim board
# goes live to a local ingest at a small picture (Memcheck runs the encoder
# some 30 times slower), the operator works the run of show and the audio, the
# panel's API and /metrics are read, a destination is reconnected, the program
# pipeline is stalled and restarted, and the box goes off air and stops on
# SIGTERM. Passes when the ingest serves H.264 and AAC from it, Memcheck
# reports no error and no definite leak, and shopcastd exits 0.
#
#   tests/valgrind/daemon.sh BUILD_DIR [LIVE_SECONDS]
set -euo pipefail

build=$(cd "${1:?usage: daemon.sh BUILD_DIR [LIVE_SECONDS]}" && pwd)
live_s=${2:-60}
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
ingest_pid="" daemon_pid=""
cleanup() {
	for pid in $daemon_pid $ingest_pid; do
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [ -n "${KEEP:-}" ]; then echo "valgrind-daemon: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() {
	echo "valgrind-daemon: FAILED: $*" >&2
	[ -f "$work/memcheck.log" ] && tail -n 60 "$work/memcheck.log" >&2
	exit 1
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port=$(free_port)
panel_port=$(free_port)

cat > "$work/shopcast.ini" <<CONF
[box]
board = sim
start = live
board-dir = $top/board
control-socket = $work/control
show = $top/overlays/examples/winter-warmth.ini
state = $work/state.json

[video]
width = 320
height = 180
framerate = 10
bitrate = 400
x264-preset = ultrafast

[panel]
listen = 127.0.0.1:$panel_port
passwords = $work/panel-passwords

[recording]
folder = $work/recordings

[destination main]
platform = local ingest
url = rtmp://127.0.0.1:$port/live
key = memcheck-key
CONF

setsid "$top/tools/shopcast-ingest" --dir "$work/ingest" --port "$port" &
ingest_pid=$!
for _ in $(seq 50); do
	ss -Hltn "sport = :$port" | grep -q . && break
	sleep 0.1
done

G_SLICE=always-malloc valgrind --error-exitcode=1 --leak-check=full \
	--show-leak-kinds=definite --errors-for-leak-kinds=definite --num-callers=30 \
	--suppressions="$(pkg-config --variable=prefix glib-2.0)/share/glib-2.0/valgrind/glib.supp" \
	--suppressions="$top/tests/valgrind/shopcast.supp" --log-file="$work/memcheck.log" \
	"$build/firmware/shopcastd" --config "$work/shopcast.ini" > "$work/shopcastd.log" 2>&1 &
daemon_pid=$!

ctl() { "$build/tools/shopcastctl" --socket "$work/control" "$@"; }
# up to 120 s to start under Memcheck and go on air
on_air=""
for _ in $(seq 240); do
	kill -0 "$daemon_pid" 2>/dev/null || fail "shopcastd ended while starting (log: $(tail -n 5 "$work/shopcastd.log"))"
	if [ -S "$work/control" ] && ctl status 2>/dev/null | grep -q '"state":"live"'; then # the destination
		on_air=1
		break
	fi
	sleep 0.5
done
[ -n "$on_air" ] || fail "shopcastd did not go live within 120 s"
echo "valgrind-daemon: live under Memcheck; checking the stream, then working the show for $live_s s"
"$build/tools/shopcast-probe" --duration 5 --timeout 30 --expect-video-codec h264 \
	--expect-audio-codec aac --expect-min-frames 1 "rtmp://127.0.0.1:$port/live/memcheck-key" \
	> "$work/probe.json" 2>&1 || fail "shopcast-probe: $(cat "$work/probe.json")"

password=$(head -c 12 /dev/urandom | base64 | tr '+/' 'xy')
echo "$password" | ctl password technician > /dev/null
products=(down-jacket thermal-set wool-scarf snow-boots hand-warmer cashmere-coat)
deadline=$((SECONDS + live_s))
round=0
while [ $SECONDS -lt $deadline ] && [ $round -lt 50 ]; do
	round=$((round + 1))
	# the show takes a graphics change at most every 500 ms
	product=${products[$((round % ${#products[@]}))]}
	for action in "goto $product" "price $((100 + round))" "lower Host$round guest" \
		"stock $((50 - round))"; do
		# shellcheck disable=SC2086 # the action's words
		ctl show $action > /dev/null
		sleep 0.6
	done
	ctl audio gain -3 > /dev/null
	ctl status > /dev/null
	ctl events 20 > /dev/null
	curl -sf -u "technician:$password" "http://127.0.0.1:$panel_port/metrics" > /dev/null ||
		fail "/metrics did not answer"
	SHOPCAST_PASSWORD=$password "$build/tools/shopcastctl" --url "http://127.0.0.1:$panel_port" \
		status > /dev/null || fail "the panel's API did not answer a login and status"
	case $round in
	2) # the example show's first product has a flash sale
		ctl show goto down-jacket > /dev/null
		sleep 0.6
		ctl show flash start > /dev/null ;;
	3) ctl reconnect main > /dev/null ;;
	4) ctl drill pipeline 3 > /dev/null ;;
	esac
	sleep 2
done
sleep 0.6
ctl show lower off > /dev/null
ctl live off > /dev/null
sleep 5

kill -TERM "$daemon_pid"
status=0
wait "$daemon_pid" || status=$?
daemon_pid=""
[ "$status" -eq 0 ] || fail "shopcastd under Memcheck exited with status $status ($(grep -c 'ERROR SUMMARY: [1-9]' "$work/memcheck.log" || true) error summaries; log above)"
grep -q "ERROR SUMMARY: 0 errors" "$work/memcheck.log" || fail "Memcheck reported errors"
echo "valgrind-daemon: $(grep 'ERROR SUMMARY' "$work/memcheck.log" | tail -n 1 | sed 's/^==[0-9]*== //'); $round rounds of show actions; stream checked"
