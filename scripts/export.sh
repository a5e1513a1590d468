#!/usr/bin/env bash
# Write the commits of build/linux since its base tag to patches/ and
# patches/series.  Reproducible: an unchanged tree re-exports byte for byte.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
tree=${TREE:-$top/build/linux}
out="$top/patches"

[ -d "$tree/.git" ] || { echo "export: no git tree at $tree; run 'make tree'" >&2; exit 1; }
base=$(git -C "$tree" describe --tags --abbrev=0 --match 'debian-*' 2>/dev/null) ||
	{ echo "export: $tree has no debian-* base tag" >&2; exit 1; }
if [ -n "$(git -C "$tree" status --porcelain --untracked-files=no)" ]; then
	echo "export: $tree has uncommitted edits; commit them first" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git -C "$tree" -c core.abbrev=12 format-patch -q --no-signature --zero-commit \
	-o "$tmp" "$base..HEAD"
(cd "$tmp" && ls -1 -- *.patch 2>/dev/null || true) > "$tmp/series"

mkdir -p "$out"
# Replace patches/ as a whole, writing only files whose bytes changed.
for f in "$out"/*.patch; do
	[ -e "$f" ] || continue
	[ -e "$tmp/$(basename "$f")" ] || rm -f "$f"
done
for f in "$tmp"/*.patch "$tmp/series"; do
	[ -e "$f" ] || continue
	cmp -s "$f" "$out/$(basename "$f")" 2>/dev/null || cp "$f" "$out/"
done
echo "export: $(grep -c . "$out/series" || true) patches since $base"
