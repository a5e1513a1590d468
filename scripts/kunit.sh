#!/usr/bin/env bash
# The generic_pt KUnit suites under UML (tools/testing/kunit/kunit.py).
# Prints kunit.py's summary; fails on any failed or crashed case.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
src="$top/build/linux"
cc=gcc
if command -v ccache >/dev/null; then
	cc="ccache gcc"
	export CCACHE_DIR=${CCACHE_DIR:-$top/build/ccache} CCACHE_BASEDIR=$top/build
	export CCACHE_NOHASHDIR=1 CCACHE_SLOPPINESS=time_macros,include_file_mtime,include_file_ctime
fi
export KBUILD_BUILD_TIMESTAMP=2026-01-01 KBUILD_BUILD_USER=iommu-lu KBUILD_BUILD_HOST=vm

cd "$src"
rc=0
./tools/testing/kunit/kunit.py run --arch=um --build_dir="$top/build/kunit" \
	--kunitconfig=drivers/iommu/generic_pt --jobs="$(nproc)" \
	--make_options CC="$cc" > "$top/build/kunit.log" 2>&1 || rc=$?
grep -E '^\[[0-9:]+\] (\[FAILED\]|\[CRASHED\])' "$top/build/kunit.log" | head -20 || true
grep -E 'Testing complete|Elapsed time' "$top/build/kunit.log" | sed 's/^\[[0-9:]*\] //' || true
[ "$rc" = 0 ] || echo "kunit: failed, full log in build/kunit.log" >&2
exit "$rc"
