#!/usr/bin/env bash
# make bench: CPU cost of shopcastd's program pipeline on the simulated board,
# beside an equivalent ffmpeg command measured in the same run, at 720p30 and
# 1080p30. Both are paced in real time, encode H.264 (x264, same preset, CBR
# bitrate, 2 s GOP, no B-frames) and AAC 128 kb/s, and push FLV over RTMP to the
# same local ingest. Both encode the same picture, the sim board's scrolling
# test card (x264's cost depends on the picture, so a look-alike lavfi source
# would not compare like with like). The ffmpeg peer also draws one line of
# text (drawtext), as the product's comparison asks; a second line without the
# text is printed for reference.
#
#   tests/bench/pipeline-cpu.sh BUILD_DIR [SECONDS [TRIALS]]
#
# Each figure is the median of TRIALS runs of SECONDS each (default 3 x 20 s,
# 600 frames a run), with the range beside it.
set -euo pipefail

build=$(cd "${1:?usage: pipeline-cpu.sh BUILD_DIR [SECONDS [TRIALS]]}" && pwd)
seconds=${2:-20}
trials=${3:-3}
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
font=$(fc-match -f '%{file}' 'Noto Sans CJK SC' 2>/dev/null || true)

ingest_pid=""
cleanup() {
	[ ! -s "$work/daemon.pid" ] || kill -TERM "$(cat "$work/daemon.pid")" 2>/dev/null || true
	[ -z "$ingest_pid" ] || { kill -TERM "$ingest_pid" 2>/dev/null; wait "$ingest_pid" 2>/dev/null || true; }
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
"$top/tools/shopcast-ingest" --dir "$work/ingest" --port "$port" 2>/dev/null &
ingest_pid=$!
for _ in $(seq 50); do ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.1; done

# CPU seconds (user+system) of the children of the calling (sub)shell, from
# bash's `times`; it must not run in a pipeline, whose subshell has no children.
child_cpu() {
	times > "$work/times"
	awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/); print u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$work/times"
}

run_shopcast() { # width height bitrate -> "cpu_seconds frames"
	local w=$1 h=$2 kbps=$3 conf="$work/bench-$1.ini" log="$work/shopcastd-$1.log"
	cat > "$conf" <<-CONF
	[box]
	board = sim
	start = live
	board-dir = $top/board
	log-level = info
	[video]
	width = $w
	height = $h
	framerate = 30
	bitrate = $kbps
	x264-preset = veryfast
	[destination bench]
	url = rtmp://127.0.0.1:$port/live
	key = shopcast-$w
	[adaptive]
	# a fixed bitrate: the same x264 options as the ffmpeg peer (NAL HRD CBR)
	enabled = false
	CONF
	(
		"$build/firmware/shopcastd" --config "$conf" 2> "$log" &
		pid=$!
		echo "$pid" > "$work/daemon.pid"
		sleep "$seconds"
		kill -TERM "$pid"
		wait "$pid" || echo "pipeline-cpu: shopcastd exited with $?" >&2
		: > "$work/daemon.pid"
		child_cpu
	) > "$work/cpu"
	local frames
	frames=$(grep -o 'frames=[0-9]*' "$log" | tail -1 | cut -d= -f2)
	echo "$(cat "$work/cpu") ${frames:-0}"
}

# ffmpeg encodes the very same picture: the sim board's video source, paced in
# real time, feeds it raw I420 through a FIFO. Only ffmpeg's own CPU is counted.
run_ffmpeg() { # width height bitrate text(0/1) -> "cpu_seconds frames"
	local w=$1 h=$2 kbps=$3 text=$4 frames=$((seconds * 30 - 30)) fifo="$work/frames"
	local vf="null"
	[ "$text" = 1 ] && vf="drawtext=fontfile=$font:text='shopcast 限时秒杀 ¥99':fontsize=48:fontcolor=white:x=40:y=40"
	rm -f "$fifo" && mkfifo "$fifo"
	gst-launch-1.0 -q videotestsrc is-live=true num-buffers="$frames" pattern=smpte75 horizontal-speed=4 \
		! "video/x-raw,format=I420,width=$w,height=$h,framerate=30/1" ! filesink location="$fifo" &
	local source_pid=$!
	(
		ffmpeg -nostdin -v error -f rawvideo -pix_fmt yuv420p -s "${w}x${h}" -r 30 -i "$fifo" \
			-f lavfi -i "sine=frequency=1000:sample_rate=48000" \
			-vf "$vf" -frames:v "$frames" \
			-c:v libx264 -preset veryfast -tune zerolatency -pix_fmt yuv420p -profile:v main \
			-b:v "${kbps}k" -minrate "${kbps}k" -maxrate "${kbps}k" -bufsize "${kbps}k" \
			-x264-params nal-hrd=cbr:force-cfr=1:scenecut=0 -g 60 -bf 0 \
			-c:a aac -b:a 128k -ac 2 -f flv "rtmp://127.0.0.1:$port/live/ffmpeg-$w-$text" ||
			echo "pipeline-cpu: ffmpeg exited with $?" >&2
		child_cpu
	) > "$work/cpu"
	wait "$source_pid" 2>/dev/null || true
	echo "$(cat "$work/cpu") $frames"
}

per_1000() { awk -v c="$1" -v f="$2" 'BEGIN { printf "%.2f", (f > 0 ? c * 1000 / f : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
range() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "-" hi }'; }

for spec in "1280 720 2500 720p30" "1920 1080 4500 1080p30"; do
	set -- $spec
	sc=() ff=() fp=()
	for _ in $(seq "$trials"); do
		read -r cpu frames <<< "$(run_shopcast "$1" "$2" "$3")"
		sc+=("$(per_1000 "$cpu" "$frames")")
		read -r cpu frames <<< "$(run_ffmpeg "$1" "$2" "$3" 1)"
		ff+=("$(per_1000 "$cpu" "$frames")")
		read -r cpu frames <<< "$(run_ffmpeg "$1" "$2" "$3" 0)"
		fp+=("$(per_1000 "$cpu" "$frames")")
	done
	s_med=$(median "${sc[@]}") f_med=$(median "${ff[@]}") p_med=$(median "${fp[@]}")
	echo "pipeline-cpu $4 shopcast_s_per_1000_frames=$s_med ffmpeg_s_per_1000_frames=$f_med ratio=$(ratio "$s_med" "$f_med") trials=$trials shopcast_range=$(range "${sc[@]}") ffmpeg_range=$(range "${ff[@]}")"
	echo "pipeline-cpu $4 shopcast_s_per_1000_frames=$s_med ffmpeg_no_text_s_per_1000_frames=$p_med ratio=$(ratio "$s_med" "$p_med") trials=$trials ffmpeg_no_text_range=$(range "${fp[@]}")"
done
