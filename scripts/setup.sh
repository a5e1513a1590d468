#!/usr/bin/env bash
# Install the tools the project needs on a Debian bookworm machine, and fetch
# the base kernel source into build/ without installing it: the
# linux-source-7.3 package is downloaded and its tarball unpacked to
# build/linux-source-7.3.tar.xz, its version to build/linux-source.version
# (installing it would also upgrade the host's linux-libc-dev).
# Idempotent: a second run only checks.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../config/base.env
. "$top/config/base.env"
stamp="$top/build/.setup-done"
tarball="$top/build/$base_pkg.tar.xz"
verfile="$top/build/linux-source.version"
list=/etc/apt/sources.list.d/iommu-lu-backports.sources

pkgs_main=(build-essential bc bison flex libelf-dev libssl-dev dwarves cpio libcap-dev
	   xz-utils lz4 zstd ccache git python3 kmod rsync perl
	   libc6-dev gcc make)

need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "setup: must run as root (apt-get install)" >&2
		exit 1
	fi
}

have_all() {
	[ -f "$stamp" ] || return 1
	command -v qemu-system-x86_64 >/dev/null || return 1
	command -v ccache >/dev/null || return 1
	[ -s "$tarball" ] && [ -s "$verfile" ] || return 1
	dpkg-query -W -f='${Status}\n' "${pkgs_main[@]}" 2>/dev/null |
		grep -qv 'install ok installed' && return 1
	return 0
}

if have_all; then
	exit 0
fi
need_root

# Backports suites are NotAutomatic: adding them upgrades nothing unless a
# package is asked for with -t SUITE.  Never add sid or trixie main.
if [ ! -f "$list" ]; then
	cat > "$list" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports trixie-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	rm -f "$top/build/.apt-updated"
fi

mkdir -p "$top/build"
log="$top/build/setup.log"
: > "$log"
apt() {
	if ! apt-get "$@" >> "$log" 2>&1; then
		tail -n 20 "$log" >&2
		echo "setup: apt-get $* failed (log: $log)" >&2
		exit 1
	fi
}
if [ ! -f "$top/build/.apt-updated" ]; then
	apt update
	touch "$top/build/.apt-updated"
fi

export DEBIAN_FRONTEND=noninteractive
apt install -y -q --no-install-recommends "${pkgs_main[@]}"

# The base kernel: any 7.3.y, downloaded, not installed.
if [ ! -s "$tarball" ] || [ ! -s "$verfile" ]; then
	src_ver=$(apt-cache madison "$base_pkg" 2>/dev/null | awk '$6 ~ /^'"$base_suite"'\// {print $3; exit}')
	if [ -z "$src_ver" ]; then
		echo "setup: no $base_pkg package is available from $base_suite." >&2
		echo "setup: linux-source packages apt offers instead:" >&2
		apt-cache search --names-only '^linux-source-[0-9]' | sed 's/^/  /' >&2
		exit 1
	fi
	dl="$top/build/dl"
	rm -rf "$dl" && mkdir -p "$dl"
	(cd "$dl" && apt download -q -o APT::Sandbox::User=root -t "$base_suite" "$base_pkg=$src_ver")
	deb=$(compgen -G "$dl/${base_pkg}_*.deb" | head -n1)
	ver=$(dpkg-deb -f "$deb" Version)
	case "$ver" in
	"${base_pkg#linux-source-}".*) ;;
	*) echo "setup: $deb is version $ver, not ${base_pkg#linux-source-}.y" >&2; exit 1 ;;
	esac
	dpkg-deb -x "$deb" "$dl/x"
	src=$(compgen -G "$dl/x/usr/src/$base_pkg*.tar.xz" | head -n1 || true)
	[ -n "$src" ] || { echo "setup: $deb holds no usr/src/$base_pkg*.tar.xz" >&2; exit 1; }
	mv "$src" "$tarball"
	echo "$ver" > "$verfile"
	rm -rf "$dl"
fi

# QEMU from bookworm-backports.
apt install -y -q --no-install-recommends -t "$qemu_suite" \
	qemu-system-x86 qemu-system-data ipxe-qemu seabios
qver=$(qemu-system-x86_64 --version | sed -n 's/^QEMU emulator version \([0-9]*\).*/\1/p')
if [ "${qver:-0}" -lt "$qemu_min_major" ]; then
	echo "setup: qemu-system-x86_64 is version $qver, need >= $qemu_min_major" >&2
	exit 1
fi

echo "setup: $base_pkg $(cat "$verfile") in build/, $(qemu-system-x86_64 --version | head -n1)"
touch "$stamp"
