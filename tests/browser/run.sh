#!/usr/bin/env bash
# run.sh BUILD_DIR SOURCE_DIR - the panel's end-to-end test in headless Chromium.
#
# Starts a box of its own on 127.0.0.1: a local RTMP ingest (tools/shopcast-ingest)
# and BUILD_DIR/firmware/shopcastd on the simulated board with the example show and
# the panel on a free port, then runs panel.test.mjs against it. Screenshots go to
# $SHOPCAST_ARTIFACTS (default BUILD_DIR/test-artifacts/browser), with shopcastd's log.
# Exits 0 when every step passed, 1 when one failed, 77 (skipped) when node, Chromium
# or playwright-core is missing.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 BUILD_DIR SOURCE_DIR" >&2; exit 64; }
build=$(cd "$1" && pwd)
source=$(cd "$2" && pwd)
here="$source/tests/browser"
artifacts=${SHOPCAST_ARTIFACTS:-$build/test-artifacts/browser}
chromium=${CHROMIUM:-/usr/bin/chromium}

skip() { echo "SKIP: $*"; exit 77; }
command -v node >/dev/null || skip "node is not installed (tools/install-deps.sh)"
[ -x "$chromium" ] || skip "$chromium is missing (tools/install-deps.sh installs chromium)"
[ -f "$here/node_modules/playwright-core/package.json" ] ||
	skip "playwright-core is missing: run tools/install-deps.sh (npm ci in tests/browser)"
command -v nginx >/dev/null || skip "nginx is missing (tools/install-deps.sh)"
[ -x "$build/firmware/shopcastd" ] || { echo "no $build/firmware/shopcastd: build first" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/shopcast-browser.XXXXXX")
pids=()
cleanup() {
	local rc=$?
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		for _ in $(seq 50); do # 5 s each at most, then SIGKILL
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	mkdir -p "$artifacts"
	cp "$work/shopcastd.log" "$artifacts/shopcastd.log" 2>/dev/null || true
	if [ $rc -ne 0 ] && [ -f "$work/shopcastd.log" ]; then
		echo "--- the last lines of shopcastd's log (all of it in $artifacts/shopcastd.log)"
		tail -n 30 "$work/shopcastd.log"
	fi
	rm -rf "$work"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Two free TCP ports on 127.0.0.1 (the kernel picks them; freed just before use).
read -r ingest_port http_port < <(python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
for s in socks:
    s.close()
PY
)

# Waits (at most $2 tenths of a second) until 127.0.0.1:$1 accepts connections,
# or fails when the process $3 has ended.
wait_port() {
	for _ in $(seq "$2"); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
			return 0
		fi
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

"$source/tools/shopcast-ingest" --dir "$work/ingest" --port "$ingest_port" >"$work/ingest.log" 2>&1 &
pids+=($!)
wait_port "$ingest_port" 100 "${pids[-1]}" || {
	echo "the ingest did not start:" >&2
	cat "$work/ingest.log" "$work/ingest/error.log" >&2 2>/dev/null || true
	exit 1
}

cp "$source/overlays/examples/winter-warmth.ini" "$work/show.ini"
cat >"$work/shopcast.ini" <<EOF
[box]
board = sim
start = standby
board-dir = $source/board
log-level = info
control-socket = $work/control
show = $work/show.ini
audit-log = $work/audit.jsonl
system-dir = $work/system

[video]
width = 1280
height = 720

[destination local]
url = rtmp://127.0.0.1:$ingest_port/live
key = browser-test-key

[panel]
listen = 127.0.0.1:$http_port
passwords = $work/passwords
login-attempts = 3
lockout = 60
EOF

"$build/firmware/shopcastd" --config "$work/shopcast.ini" >"$work/shopcastd.log" 2>&1 &
pids+=($!)
wait_port "$http_port" 150 "${pids[-1]}" || {
	echo "shopcastd did not open the panel on 127.0.0.1:$http_port" >&2
	exit 1
}

mkdir -p "$artifacts"
export SHOPCAST_ARTIFACTS="$artifacts"
# The test bounds each of its waits; this bounds the whole run.
timeout -k 5 180 node "$here/${PANEL_TEST:-panel.test.mjs}" --url "http://127.0.0.1:$http_port/" \
	--artifacts "$artifacts" --chromium "$chromium"
