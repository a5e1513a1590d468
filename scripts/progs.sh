#!/usr/bin/env bash
# Build what runs inside the VM: vm/init.c (nolibc) and the static selftest
# programs, against the tree's own uAPI headers; and, for the host,
# vm/nic_sender.c (the frame stream of vmtest.sh NIC=1).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
src="$top/build/linux"
hdr="$top/build/headers"
out="$top/build/tests"
sel="$src/tools/testing/selftests"

make -s -C "$src" O="$top/build/obj" ARCH=x86_64 headers_install INSTALL_HDR_PATH="$hdr"

gcc -s -static -Os -Wall -Werror -nostdinc -nostdlib -fno-asynchronous-unwind-tables \
	-fno-ident -fno-stack-protector -I "$hdr/include" -I "$src/tools/include/nolibc" \
	-o "$top/build/init" "$top/vm/init.c"

# The host side of vmtest.sh NIC=1: the default frame sender.
gcc -O2 -Wall -Wextra -Werror -o "$top/build/nic_sender" "$top/vm/nic_sender.c"

# Each line: selftest directory and the programs to build from it, after
# "once" or "single" for single-stage ones.
while read -r dir progs; do
	case "$dir" in ''|'#'*) continue ;; once | single) read -r dir progs <<< "$progs" ;; esac
	targets=()
	for p in $progs; do targets+=("$out/$dir/${p%%@*}"); done
	mkdir -p "$out/$dir"
	make -s -C "$sel/$dir" OUTPUT="$out/$dir" KHDR_INCLUDES="-isystem $hdr/include" \
		USERCFLAGS=-Werror LDFLAGS=-static "${targets[@]}"
done < "$top/vm/programs"
echo "progs: $(cd "$out" && find . -type f -perm -u+x -not -name '*.o' | sort | tr '\n' ' ')"
