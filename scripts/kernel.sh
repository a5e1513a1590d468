#!/usr/bin/env bash
# Configure (x86_64 tinyconfig + config/vm.config) and build bzImage in
# build/obj.  Every option the fragment asks for must survive olddefconfig.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
src="$top/build/linux"
obj="$top/build/obj"
frag="$top/config/vm.config"
jobs=${JOBS:-$(nproc)}

if [ ! -f "$src/Makefile" ]; then
	echo "kernel: no tree at $src; run 'make tree'" >&2
	exit 1
fi

# shellcheck source=ccache.env
. "$top/scripts/ccache.env"

mk() { make -s -C "$src" O="$obj" ARCH=x86_64 CC="$cc" HOSTCC=gcc "$@"; }

mkdir -p "$obj"
mk tinyconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$frag" >/dev/null
mk olddefconfig >/dev/null

# A silently dropped option is an error.
dropped=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qxF "$line" "$obj/.config" || { echo "kernel: Kconfig dropped $line (have: $(grep -E "^(# )?${line%%=*}[= ]" "$obj/.config" || echo unset))" >&2; dropped=1; }
		;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }; opt=${opt%% *}
		grep -q "^$opt=" "$obj/.config" && { echo "kernel: Kconfig forced $opt on, fragment wants it off" >&2; dropped=1; }
		;;
	esac
done < "$frag"
[ "$dropped" = 0 ] || exit 1

mk -j"$jobs" bzImage
echo "kernel: $obj/arch/x86/boot/bzImage"
