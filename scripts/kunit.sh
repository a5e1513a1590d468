#!/usr/bin/env bash
# The generic_pt KUnit suites under UML (tools/testing/kunit/kunit.py).
# Prints kunit.py's summary; fails on any failed or crashed case.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
src="$top/build/linux"
# shellcheck source=ccache.env
. "$top/scripts/ccache.env"

cd "$src"
rc=0
./tools/testing/kunit/kunit.py run --arch=um --build_dir="$top/build/kunit" \
	--kunitconfig=drivers/iommu/generic_pt --jobs="$(nproc)" \
	--make_options CC="$cc" > "$top/build/kunit.log" 2>&1 || rc=$?
grep -E '^\[[0-9:]+\] (\[FAILED\]|\[CRASHED\])' "$top/build/kunit.log" | head -20 || true
grep -E 'Elapsed time' "$top/build/kunit.log" | sed 's/^\[[0-9:]*\] //' || true
grep -E 'Testing complete' "$top/build/kunit.log" | sed 's/^\[[0-9:]*\] //' || true
[ "$rc" = 0 ] || echo "kunit: failed, full log in build/kunit.log" >&2
exit "$rc"
