#!/bin/sh
# run.sh BUILD SECONDS TARGET... - runs each libFuzzer target for SECONDS,
# starting from the committed seeds in tests/fuzz/corpus/TARGET (read only)
# and a working corpus in BUILD/fuzz/corpus/TARGET that grows between runs.
# A crash leaves its input in BUILD/fuzz/crash-TARGET-*; the log is printed.
# Ends with "fuzz: N passed, M failed".
set -u
build=$1 secs=$2
shift 2
passed=0 failed=0
for t in "$@"; do
	work="$build/fuzz/corpus/$t"
	log="$build/fuzz/$t.log"
	mkdir -p "$work"
	if "$build/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$build/fuzz/crash-$t-" "$work" "tests/fuzz/corpus/$t" > "$log" 2>&1; then
		echo "fuzz: $t ... ok ($(grep -o 'Done [0-9]* runs' "$log" | tail -1 | cut -d' ' -f2) runs in ${secs}s)"
		passed=$((passed + 1))
	else
		echo "fuzz: $t ... FAIL (log: $log)"
		tail -40 "$log"
		failed=$((failed + 1))
	fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
