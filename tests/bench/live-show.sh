# Sourced by the show benchmarks (overlay-latency.sh, button-latency.sh,
# panel-latency.sh):
# shopcastd on the simulated board at 1080p30 (x264 veryfast, as on air),
# live with the example run of show and an on-air audit log, streaming to a
# local ingest, with the panel on 127.0.0.1:$panel_port. The caller sets `bench` (its name, for messages) and `build`,
# calls live_show_start with the pause between its actions and any config
# groups of its own, then sends actions with `step`; everything started is
# stopped on exit.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
panel_port=$(free_port)
ingest_pid="" daemon_pid=""

ctl() { "$build/tools/shopcastctl" --socket "$work/control" "$@"; }

live_show_cleanup() {
	[ -z "$daemon_pid" ] || { kill -TERM "$daemon_pid" 2>/dev/null; wait "$daemon_pid" 2>/dev/null || true; }
	[ -z "$ingest_pid" ] || { kill -TERM "$ingest_pid" 2>/dev/null; wait "$ingest_pid" 2>/dev/null || true; }
	rm -rf "$work"
}
trap live_show_cleanup EXIT
trap 'exit 130' INT TERM

alive() {
	kill -0 "$daemon_pid" 2>/dev/null && return 0
	echo "$bench: shopcastd stopped; its log:" >&2
	tail -n 20 "$work/shopcastd.log" >&2
	exit 1
}

# live_show_start INTERVAL_MS [CONFIG_TEXT]: the show's rate limit at half the
# pause between actions, so none is refused for coming too soon
live_show_start() {
	pause=$(awk -v ms="$1" 'BEGIN { print ms / 1000 }')
	sed "s/^min-interval-ms = .*/min-interval-ms = $(($1 / 2))/" \
		"$top/overlays/examples/winter-warmth.ini" > "$work/show.ini"
	cat > "$work/bench.ini" <<-CONF
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
		[panel]
		listen = 127.0.0.1:$panel_port
		passwords = $work/passwords
		[destination bench]
		url = rtmp://127.0.0.1:$port/live
		key = latency
	CONF
	printf '%s\n' "${2:-}" >> "$work/bench.ini"
	"$top/tools/shopcast-ingest" --dir "$work/ingest" --port "$port" 2>/dev/null &
	ingest_pid=$!
	for _ in $(seq 50); do ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.1; done
	"$build/firmware/shopcastd" --config "$work/bench.ini" 2> "$work/shopcastd.log" &
	daemon_pid=$!
	for _ in $(seq 100); do [ -S "$work/control" ] && break; alive; sleep 0.1; done
	sleep 2 # the pipeline playing, the encoder warm
	alive
}

# step COMMAND...: one action through shopcastctl, then the pause; a refused
# action is counted in `refused`
refused=0
step() {
	alive
	ctl "$@" > /dev/null || refused=$((refused + 1))
	sleep "$pause"
}

live_show_stop() {
	kill -TERM "$daemon_pid"
	wait "$daemon_pid" || true
	daemon_pid=""
}
