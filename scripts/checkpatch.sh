#!/usr/bin/env bash
# checkpatch --strict over every patch in patches/series: one PASS/FAIL line
# per patch; exits non-zero if any patch has an error, warning or check.
# FILE_PATH_CHANGES ("does MAINTAINERS need updating?") fires on every new
# file; the series keeps its files under paths MAINTAINERS already covers
# (drivers/iommu/, tools/testing/selftests/iommu/) or adds them there.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
src="$top/build/linux"
bad=0
while read -r p; do
	case "$p" in ''|'#'*) continue ;; esac
	if out=$(cd "$src" && scripts/checkpatch.pl --strict --no-tree --terse --show-types \
			--ignore FILE_PATH_CHANGES "$top/patches/$p" 2>&1); then
		echo "PASS: checkpatch $p"
	else
		echo "FAIL: checkpatch $p"
		printf '%s\n' "$out" | grep -v '^total:' | sed 's/^/    /' | head -20
		bad=1
	fi
done < "$top/patches/series"
exit "$bad"
