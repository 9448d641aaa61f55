#!/usr/bin/env bash
# No secret reaches a log: every stream key and password the tests use
# (string literals with SECRET or -secret- in them, and the tests' *PASS*
# and *_KEY defines and PASSWORD constants) is looked for in what the test
# run left in BUILD_DIR: the test log, the logs shopcastd and its tools wrote
# (BUILD_DIR/test-logs, kept by the tests' sc_test_rmtree) and the browser
# test's artifacts. Prints one line and fails on any hit, naming the file.
#
#   tests/check-secrets.sh SOURCE_DIR BUILD_DIR
set -uo pipefail

src=${1:?usage: check-secrets.sh SOURCE_DIR BUILD_DIR}
build=${2:?usage: check-secrets.sh SOURCE_DIR BUILD_DIR}
secrets=$(mktemp)
trap 'rm -f "$secrets"' EXIT

sources=("$src"/tests/*.c "$src"/tests/support/*.c "$src"/tests/browser/*.mjs)
{
	grep -ohE '"[^" %]*(SECRET|-secret-)[^" %]*"' "${sources[@]}"
	grep -ohE '#define [A-Z_]*(PASS|_KEY)[A-Z_]* +"[^"]+"' "${sources[@]}" | grep -oE '"[^"]+"'
	grep -ohE '[A-Z_]*PASSWORD *= *"[^"]+"' "${sources[@]}" | grep -oE '"[^"]+"'
} | tr -d '"' | awk 'length($0) >= 8' | sort -u > "$secrets"

logs=()
for f in "$build/meson-logs/testlog.txt" "$build"/test-logs/* "$build"/test-artifacts/*/*.log; do
	[ -f "$f" ] && logs+=("$f")
done
if [ ${#logs[@]} -eq 0 ]; then
	echo "check-secrets: no logs in $build (run the tests first)"
	exit 1
fi
hits=$(grep -lFf "$secrets" "${logs[@]}")
if [ -n "$hits" ]; then
	echo "check-secrets: FAIL: a test secret is in these logs:"
	for f in $hits; do
		echo "  $f: $(grep -oFf "$secrets" "$f" | sort -u | tr '\n' ' ')"
	done
	exit 1
fi
echo "check-secrets: none of $(wc -l < "$secrets") test secrets in ${#logs[@]} logs"
