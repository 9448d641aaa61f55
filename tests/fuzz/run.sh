#!/usr/bin/env bash
# make fuzz: each fuzz target for SECONDS (default 60) under libFuzzer with
# ASan and UBSan, starting from the committed corpus (tests/fuzz/corpus/NAME,
# copied: fuzzing does not change it). Prints one line per target:
#   fuzz NAME execs=N execs_per_s=N corpus=N crashes=N
# Crashes are kept in BUILD/fuzz-artifacts/NAME/ with the command that
# replays one; the exit status is 1 if any target crashed.
#
#   tests/fuzz/run.sh BUILD_DIR [SECONDS [TARGET...]]
set -uo pipefail

build=$(cd "${1:?usage: run.sh BUILD_DIR [SECONDS [TARGET...]]}" && pwd)
seconds=${2:-60}
shift $(($# > 1 ? 2 : 1))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(config show rtmp http state bmap)
src=$(cd "$(dirname "$0")/../.." && pwd)

export SHOPCAST_BOARD_DIR=$src/board
export ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0:malloc_context_size=8
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$src/tests/lsan.supp:print_suppressions=0

status=0
for name in "${targets[@]}"; do
	fuzzer=$build/tests/fuzz/fuzz-$name
	if [ ! -x "$fuzzer" ]; then
		echo "fuzz: $fuzzer is missing (make fuzz builds it with clang and -Dfuzz=true)" >&2
		exit 2
	fi
	corpus=$build/fuzz-corpus/$name artifacts=$build/fuzz-artifacts/$name
	mkdir -p "$corpus" "$artifacts"
	cp -n "$src/tests/fuzz/corpus/$name/"* "$corpus/"
	max_len=65536
	[ "$name" = http ] && max_len=16384
	log=$build/fuzz-$name.log
	touch "$log.start"
	"$fuzzer" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-max_len="$max_len" -print_final_stats=1 -artifact_prefix="$artifacts/" \
		> "$log" 2>&1
	rc=$?
	execs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$log")
	crashes=$(find "$artifacts" -type f -newer "$log.start" 2>/dev/null | wc -l)
	rm -f "$log.start"
	[ "$rc" -eq 0 ] || crashes=$((crashes > 0 ? crashes : 1))
	per_s=$(( ${execs:-0} / (seconds > 0 ? seconds : 1) ))
	echo "fuzz $name execs=${execs:-0} execs_per_s=$per_s corpus=$(ls "$corpus" | wc -l) crashes=$crashes"
	if [ "$rc" -ne 0 ]; then
		status=1
		echo "fuzz: $name crashed; the log: $log; replay with: $fuzzer $artifacts/<file>" >&2
		grep -m 5 -E "ERROR|SUMMARY|runtime error" "$log" >&2
	fi
done
exit $status
