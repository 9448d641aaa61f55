#!/usr/bin/env bash
# make bench-flash: shopcast-flash beside dd and bmaptool, writing the same
# sparse image (1 GiB, 256 MiB of data in 8 extents, like a firmware image)
# onto a sparse file target, each run synced to disk. Runs alternate between
# the tools; prints the median and range of effective throughput (image size
# over wall time) and the ratios of the medians.
set -euo pipefail
build=${1:-build}
runs=${RUNS:-5}
flash="$build/tools/shopcast-flash"
work="$build/bench-flash"
for tool in dd bmaptool; do
	command -v "$tool" >/dev/null || { echo "bench-flash: $tool is missing (tools/install-deps.sh)" >&2; exit 1; }
done
[ -x "$flash" ] || { echo "bench-flash: $flash is not built" >&2; exit 1; }
rm -rf "$work" && mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
img="$work/disk.img"
truncate -s 1G "$img"
for i in 0 1 2 3 4 5 6 7; do
	dd if=/dev/urandom of="$img" bs=1M count=32 seek=$((i * 128)) conv=notrunc status=none
done
bmaptool create -o "$img.bmap" "$img"
size_mib=1024

declare -A cmd=(
	[dd]="dd if=$img of=$work/target bs=4M conv=fsync status=none"
	[bmaptool]="bmaptool -q copy --bmap $img.bmap $img $work/target"
	[shopcast-flash]="$flash --quiet $img $work/target"
	[shopcast-flash-noverify]="$flash --quiet --no-verify $img $work/target"
)
order=(dd bmaptool shopcast-flash shopcast-flash-noverify)
declare -A times
echo "bench-flash: $runs runs each of (image $size_mib MiB, 256 MiB mapped; target a sparse file):"
for name in "${order[@]}"; do echo "  $name: ${cmd[$name]}"; done
for ((r = 1; r <= runs; r++)); do
	for name in "${order[@]}"; do
		rm -f "$work/target"
		sync
		start=$(date +%s.%N)
		${cmd[$name]} >/dev/null
		end=$(date +%s.%N)
		times[$name]+="$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }') "
	done
done
# median and range of MiB/s for one tool
stats() {
	echo "${times[$1]}" | tr ' ' '\n' | grep . | awk -v s=$size_mib '{ print s / $1 }' | sort -n |
		awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
			printf "%.0f %.0f %.0f\n", m, v[1], v[NR] }'
}
declare -A median
printf '%-26s %10s  %s\n' tool "MiB/s" "range (runs: $runs)"
for name in "${order[@]}"; do
	read -r m lo hi < <(stats "$name")
	median[$name]=$m
	printf '%-26s %10s  %s-%s\n' "$name" "$m" "$lo" "$hi"
done
ratio() { awk -v a="${median[$1]}" -v b="${median[$2]}" 'BEGIN { printf "%.2f", a / b }'; }
echo "shopcast-flash (verified) vs dd:        $(ratio shopcast-flash dd)x"
echo "shopcast-flash (verified) vs bmaptool:  $(ratio shopcast-flash bmaptool)x"
echo "shopcast-flash (no verify) vs bmaptool: $(ratio shopcast-flash-noverify bmaptool)x"
