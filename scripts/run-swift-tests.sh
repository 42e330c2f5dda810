#!/usr/bin/env bash
# `make test`'s last step: the whole suite, in parallel, from the build `make test` just made.
# When it fails, the end of the output (all a CI log may keep) repeats which tests failed and, if the
# runner crashed, the crashed thread of each crash log, which otherwise sits among thousands of lines.
set -uo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}

log=.build/test-output.log
crashes=.build/crash-logs
rm -rf "$crashes"
mkdir -p "$crashes"

# A crash writes its backtrace to $crashes; fast symbolication (names and lines, no inlined frames)
# takes seconds where the full one took minutes on the debug test binary.
export SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=yes,interactive=no,symbolicate=fast,output-to=$PWD/$crashes}
"$SWIFT" test --skip-build --parallel --num-workers 2 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
[ "$status" = 0 ] && exit 0

echo
echo "==== make test failed (exit $status); full output in $log ===="
failures=$(grep -E '^✘ Test .*(recorded an issue|failed after)' "$log" | head -n 40)
[ -n "$failures" ] && printf 'Failed tests:\n%s\n' "$failures"
for crash in "$crashes"/*; do
    [ -e "$crash" ] || continue
    echo "---- crash log $crash (the crashed thread) ----"
    # From the headline to the first blank line after the crashed thread's frames.
    awk '/^\*\*\* Program crashed/ {on = 1} on {print} on && /crashed:$/ {inthread = 1} inthread && /^$/ {n++} n == 2 {exit}' \
        "$crash" | head -n 80
done
exit "$status"
