#!/usr/bin/env bash
# Unpack Debian's linux-source-7.3 (the tarball scripts/setup.sh put in
# build/, not an installed package) into a git tree under build/linux, commit
# it as one base commit tagged with the Debian version, then apply patches/
# in `series` order with git am.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
tree="$top/build/linux"
series="$top/patches/series"
# shellcheck source=../config/base.env
. "$top/config/base.env"

tarball="$top/build/$base_pkg.tar.xz"
verfile="$top/build/linux-source.version"
if [ ! -s "$tarball" ] || [ ! -s "$verfile" ]; then
	echo "tree: $tarball or $verfile missing; run 'make setup'" >&2
	exit 1
fi
debver=$(cat "$verfile")
# A git tag cannot hold '~' or ':'.
tag="debian-$(printf '%s' "$debver" | tr '~:+' '_._')"

# The patch files patches/series names, in order; each must exist.
series_files() {
	[ -f "$series" ] || return 0
	grep -v '^\s*#' "$series" | sed '/^\s*$/d' | while read -r p; do
		if [ ! -f "$top/patches/$p" ]; then
			echo "tree: patches/series names $p, which does not exist" >&2
			return 1
		fi
		echo "$p"
	done
}
patches=$(series_files)

# Patch ids of the series, and of a tree's commits since its base tag.
series_ids() {
	for p in $patches; do
		git patch-id --stable < "$top/patches/$p" | cut -d' ' -f1
	done
}
tree_ids() {
	git -C "$tree" log --reverse -p --pretty='format:commit %H' "$1..HEAD" |
		git patch-id --stable | cut -d' ' -f1
}

if [ -d "$tree/.git" ]; then
	if [ -n "$(git -C "$tree" status --porcelain --untracked-files=no)" ]; then
		echo "tree: $tree has uncommitted edits; commit and 'make export' them, or remove build/linux" >&2
		exit 1
	fi
	old=$(git -C "$tree" describe --tags --abbrev=0 --match 'debian-*' 2>/dev/null || true)
	if [ -z "$old" ] || [ "$(tree_ids "$old")" != "$(series_ids)" ]; then
		echo "tree: the commits in $tree differ from patches/: 'make export' them," >&2
		echo "tree: or remove build/linux to rebuild it from patches/" >&2
		exit 1
	fi
	if [ "$old" = "$tag" ]; then
		echo "tree: up to date ($tag + $(echo "$patches" | grep -c .) patches)"
		exit 0
	fi
	echo "tree: base $old is not $tag (build/linux-source.version); rebuilding"
	rm -rf "$tree"
fi

mkdir -p "$tree"
echo "tree: unpacking $tarball ($debver)"
tar -xf "$tarball" -C "$tree" --strip-components=1
cd "$tree"
git init -q
git config user.name "$(git -C "$top" config user.name)"
git config user.email "$(git -C "$top" config user.email)"
git config core.abbrev 12
git config gc.auto 0
# Debian's .gitignore ends with a block that ignores everything at the top
# level (its packaging repository holds no kernel source); drop it so that
# files added by the series are tracked like in an upstream tree.
sed -i '/^# Debian packaging: ignore everything/,$d' .gitignore
sed -i -e :a -e '/^\n*$/{$d;N;ba' -e '}' .gitignore
sed -i '${/^#$/d}' .gitignore
git add -A -f
export GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"
git commit -q --no-verify -m "Linux $debver from Debian $base_pkg" \
	-m "Debian's top-level ignore-all block is dropped from .gitignore."
git tag "$tag"
unset GIT_AUTHOR_DATE GIT_COMMITTER_DATE
echo "tree: base $tag at $(git rev-parse --short HEAD)"

n=0
for p in $patches; do
	if ! out=$(git am -q --keep-cr "$top/patches/$p" 2>&1); then
		printf '%s\n' "$out" | grep -E '^(error|Patch failed)' | head -5 >&2
		echo "tree: patch $p does not apply on $tag (after $n patches); build/linux removed" >&2
		cd "$top" && rm -rf "$tree"
		exit 1
	fi
	n=$((n + 1))
done
echo "tree: applied $n patches"
