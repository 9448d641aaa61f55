#!/usr/bin/env bash
# `make run`: the box in demo mode on a board profile (default: the simulated
# board), streaming to a local ingest that this script starts on 127.0.0.1.
# Ctrl-C stops everything it started.
#
#   tools/run-demo.sh BUILD_DIR [BOARD]
set -euo pipefail

build=${1:?usage: run-demo.sh BUILD_DIR [BOARD]}
board=${2:-sim}
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd)
demo="$build/demo"
port=${SHOPCAST_DEMO_PORT:-1935}
panel_port=${SHOPCAST_PANEL_PORT:-8080}
mkdir -p "$demo"

for p in "$port:SHOPCAST_DEMO_PORT" "$panel_port:SHOPCAST_PANEL_PORT"; do
	if ss -Hltn "sport = :${p%%:*}" 2>/dev/null | grep -q .; then
		echo "run-demo: port ${p%%:*} is already in use on this machine;" \
			"set ${p#*:} to another port" >&2
		exit 1
	fi
done

cat > "$demo/shopcast.ini" <<CONF
# Demo configuration written by tools/run-demo.sh: the $board board streaming
# to the local ingest this script started, with the example run of show.
[box]
board = $board
start = live
board-dir = $top/board
control-socket = $demo/control
show = $top/overlays/examples/winter-warmth.ini
audit-log = $demo/audit.jsonl

[panel]
listen = 0.0.0.0:$panel_port
passwords = $demo/panel-passwords

[destination demo]
platform = local ingest
url = rtmp://127.0.0.1:$port/live
key = demo
CONF

ingest_pid="" daemon_pid=""
stop_ingest() {
	[ -z "$ingest_pid" ] || { kill -TERM "$ingest_pid" 2>/dev/null || true; wait "$ingest_pid" 2>/dev/null || true; }
	ingest_pid=""
}
# Ctrl-C reaches shopcastd from the terminal by itself: let it end the stream
# cleanly (a second signal would make it stop at once), then stop the ingest.
on_interrupt() {
	trap - INT TERM
	[ -z "$daemon_pid" ] || wait "$daemon_pid" 2>/dev/null || true
	daemon_pid=""
	stop_ingest
	exit 130
}
on_terminate() {
	trap - INT TERM
	[ -z "$daemon_pid" ] || { kill -TERM "$daemon_pid" 2>/dev/null || true; wait "$daemon_pid" 2>/dev/null || true; }
	daemon_pid=""
	stop_ingest
	exit 143
}
trap on_interrupt INT
trap on_terminate TERM
trap stop_ingest EXIT

# Its own session: the terminal's Ctrl-C must not stop the ingest before
# shopcastd has sent the end of the stream to it.
setsid "$top/tools/shopcast-ingest" --dir "$demo/ingest" --port "$port" &
ingest_pid=$!
for _ in $(seq 50); do # up to 5 s for the ingest to listen
	ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && break
	kill -0 "$ingest_pid" 2>/dev/null || { echo "run-demo: the ingest did not start; see $demo/ingest/error.log" >&2; exit 1; }
	sleep 0.1
done

"$build/firmware/shopcastd" --config "$demo/shopcast.ini" &
daemon_pid=$!
for _ in $(seq 100); do # up to 10 s for the control socket
	[ -S "$demo/control" ] && break
	kill -0 "$daemon_pid" 2>/dev/null || break
	sleep 0.1
done

# Demo mode only: a password made up for this machine's demo, kept beside
# it (a real box has none until the technician sets one on first start).
ctl="$build/tools/shopcastctl --socket $demo/control"
if [ ! -s "$demo/demo-password" ] || [ ! -s "$demo/panel-passwords" ]; then
	(umask 077; head -c 9 /dev/urandom | base64 | tr '+/' 'xy' > "$demo/demo-password")
	rm -f "$demo/panel-passwords"
	$ctl password technician < "$demo/demo-password" > /dev/null
fi

cat <<MSG

  shopcast demo: board '$board', streaming to the local ingest.
  Panel:  http://127.0.0.1:$panel_port/   technician password (demo only): $(cat "$demo/demo-password")
          (from a phone on this network: http://<this machine's address>:$panel_port/)
  Watch:  ffplay rtmp://127.0.0.1:$port/live/demo
  Check:  $build/tools/shopcast-probe --duration 10 rtmp://127.0.0.1:$port/live/demo
  Status: $ctl status
  Show:   $ctl show next   (then: show flash start,
          show coupon on, show stock 37, show price 189, show lower 王师傅 连麦嘉宾, ...)
  Audit:  $demo/audit.jsonl   (what reached the program, with its stream time)
  Record: $demo/recordings/   (each show: segments, chapters; after \`live off\`,
          \`$ctl report\` or the panel's recording strip: the post-show report)
  Config: $demo/shopcast.ini      Ctrl-C stops everything.

MSG

set +e
wait "$daemon_pid"
status=$?
daemon_pid=""
exit "$status"
