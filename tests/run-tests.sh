#!/usr/bin/env bash
# Runs every test in each build directory given (the normal build and the
# ASan+UBSan build), then the system test of the x86-64 image in qemu (with the
# first build directory; SYSTEM_TEST= leaves it out), and ends with one summary
# line: "N passed, N failed, N skipped".
set -u
passed=0 failed=0 skipped=0
system_board=${SYSTEM_TEST-x86-64}
for dir in "$@"; do
	echo "=== tests in $dir"
	rm -rf "$dir/test-logs" # filled again by this run's tests, for check-secrets
	log=$(mktemp)
	meson test -C "$dir" --print-errorlogs --num-processes 2 2>&1 | tee "$log"
	count() { awk -v k="$1:" '$1 == k { print $2; exit }' "$log"; }
	ok=$(count Ok) fail=$(count Fail) xpass=$(count "Unexpected Pass") timeout=$(count Timeout) skip=$(count Skipped)
	passed=$((passed + ${ok:-0}))
	failed=$((failed + ${fail:-0} + ${xpass:-0} + ${timeout:-0}))
	skipped=$((skipped + ${skip:-0}))
	if [ -z "$ok" ]; then
		echo "run-tests: meson test in $dir did not run (see above)"
		failed=$((failed + 1))
	fi
	rm -f "$log"
	# no stream key or password of the tests in any log they left
	if "$(dirname "$0")/check-secrets.sh" "$(dirname "$0")/.." "$dir"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
done
if [ -n "$system_board" ]; then
	echo "=== system test: the $system_board image in qemu"
	"$(dirname "$0")/system/run.sh" "$1" "$system_board"
	case $? in
	0) passed=$((passed + 1)) ;;
	77) skipped=$((skipped + 1)) ;;
	*) failed=$((failed + 1)) ;;
	esac
else
	echo "=== system test: not run (SYSTEM_TEST is empty)"
	skipped=$((skipped + 1))
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
