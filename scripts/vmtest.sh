#!/usr/bin/env bash
# Run a static test program across a real kexec in a q35 VM with VT-d.
#
#   vmtest.sh PROG [legacy|sm|sm-fl]
#
# Stage k runs "PROG -s k"; when it exits 0 the guest kexecs into the same
# kernel with liveupdate=on and runs stage k + 1, up to STAGES (default 2;
# see vm/init.c).  Passes when every stage exits 0; prints XFAIL instead of
# PASS when the program reported a kselftest expected failure (TAP
# "# XFAIL"), and XPASS when all of those passed (every stage exits 0).
# With STAGES=1 the guest runs "PROG" once, without arguments and without
# kexec (a kselftest suite such as upstream's iommufd), and passes when it
# exits 0.  Either way, a program that prints kselftest "# Totals" has them
# in the result line.  Environment:
#   STAGES   N, 2 (default) to 9: -s 1, kexec, -s 2, ..., kexec, -s N;
#            1: a single run, no kexec
#   KERNEL   bzImage to boot (default build/obj/arch/x86/boot/bzImage)
#   KVM=1    use KVM if a short probe boots; otherwise TCG (the default)
#   TIMEOUT  seconds for the whole run (default 300)
#   MEM      guest memory (default 1G)
#   LOG      serial log path (default build/vmtest/<prog>-<mode>.log); the
#            log and its .trace/.qemu companions are removed before the run
#   EDU      number of edu devices, 1 (the default) to 8; see below
#   NO_FAULTS=1  fail the run on any DMAR fault, the guest's or QEMU's
#   APPEND   more kernel command line, for both stages (a program may read
#            its options there)
#
# Devices: EDU=n puts ceil(n/2) edu devices on the root bus at 00:01.0,
# 00:02.0, ... and each of the others behind its own pcie-root-port
# (00:1c.0, 00:1c.1, ...), on buses 1, 2, ... at 01:00.0, 02:00.0, ...
# EDU=8: 00:01.0-00:04.0 and 01:00.0-04:00.0.  Every edu is alone in its
# IOMMU group (the root ports have ACS).  The tests take the first edu in
# /sys/bus/pci/devices order, which is sysfs hash order, not BDF order:
# for every layout up to 8 that is 00:01.0, the one device of EDU=1.
#
# A run fails, whatever the program said, when the serial log has a kernel
# report: WARNING, BUG, Oops, a lockdep report, suspicious RCU usage, a hung
# task or an RCU stall; the FAIL line names them.  DMAR faults are counted on
# both sides: the guest's "DMAR: [DMA Read|Write" lines, and QEMU's
# vtd_dmar_fault and vtd_fault_disabled trace events (<log>.trace).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
prog=${1:-}
mode=${2:-legacy}
kernel=${KERNEL:-$top/build/obj/arch/x86/boot/bzImage}
timeout_s=${TIMEOUT:-300}
mem=${MEM:-1G}
edus=${EDU:-1}
stages=${STAGES:-2}

die() { echo "vmtest: $*" >&2; exit 2; }

[ -n "$prog" ] || die "usage: vmtest.sh PROG [legacy|sm|sm-fl]"
[ -e "$prog" ] || die "PROG '$prog' does not exist"
[ -f "$prog" ] && [ -x "$prog" ] || die "PROG '$prog' is not an executable file"
readelf -h "$prog" >/dev/null 2>&1 || die "PROG '$prog' is not an ELF binary"
if readelf -lW "$prog" 2>/dev/null | grep -q 'INTERP\|Requesting program interpreter'; then
	die "PROG '$prog' is dynamically linked; the VM has no libraries: link it with -static"
fi

case "$mode" in
legacy) iommu="intel-iommu,intremap=on,caching-mode=on" ;;
sm)     iommu="intel-iommu,intremap=on,caching-mode=on,x-scalable-mode=on" ;;
sm-fl)  iommu="intel-iommu,intremap=on,caching-mode=on,x-scalable-mode=on,x-flts=on" ;;
*)      die "unknown IOMMU mode '$mode' (legacy, sm or sm-fl)" ;;
esac
case "$stages" in
[1-9]) ;;
*) die "STAGES=$stages: the number of stages, 1 (no kexec) or 2 to 9" ;;
esac

case "$edus" in
[1-8]) ;;
*) die "EDU=$edus: the number of edu devices, 1 to 8" ;;
esac
devices=()
root_edus=$(((edus + 1) / 2))
for ((i = 1; i <= root_edus; i++)); do
	devices+=(-device "edu,addr=$i.0")
done
for ((fn = 0; fn < edus - root_edus; fn++)); do
	devices+=(-device "pcie-root-port,id=rp$fn,bus=pcie.0,addr=1c.$fn,multifunction=on,chassis=$((fn + 1))")
	devices+=(-device "edu,bus=rp$fn,addr=00.0")
done

[ -f "$kernel" ] || die "no kernel at $kernel; run 'make kernel'"
obj=$(cd "$(dirname "$kernel")/../../.." && pwd)
cpio_gen=$obj/usr/gen_init_cpio
[ -x "$cpio_gen" ] || die "$cpio_gen missing; run 'make kernel'"
init=$top/build/init
[ -x "$init" ] || die "$init missing; run 'make kernel'"

name=$(basename "$prog")
work=$(mktemp -d "${TMPDIR:-/tmp}/vmtest.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$top/build/vmtest"
log=${LOG:-$top/build/vmtest/$name-$mode.log}
trace=${log%.log}.trace
rm -f "$log" "$trace" "${log%.log}.qemu"

# initrd-k.cpio is what stage k boots with.  Each but the last also carries
# the kernel and the next one, as /kernel and /initrd.img for
# kexec_file_load(): they nest, built from the last one out.
base="dir /dev 0755 0 0
dir /proc 0755 0 0
dir /sys 0755 0 0
dir /tmp 01777 0 0
nod /dev/console 0600 0 0 c 5 1
file /init $init 0755 0 0
file /test_binary $(realpath "$prog") 0755 0 0"
printf '%s\n' "$base" > "$work/initrd-$stages.list"
"$cpio_gen" "$work/initrd-$stages.list" > "$work/initrd-$stages.cpio"
for ((k = stages - 1; k >= 1; k--)); do
	printf '%s\nfile /kernel %s 0644 0 0\nfile /initrd.img %s 0644 0 0\n' \
		"$base" "$kernel" "$work/initrd-$((k + 1)).cpio" > "$work/initrd-$k.list"
	"$cpio_gen" "$work/initrd-$k.list" > "$work/initrd-$k.cpio"
done

# no_timer_check: a TCG guest on a loaded host can miss the IO-APIC timer
# check at boot and panic ("timer doesn't work through Interrupt-remapped
# IO-APIC"), before anything is tested.
append="console=ttyS0 printk.time=1 panic=-1 oops=panic liveupdate=on intel_iommu=on loglevel=7 no_timer_check"
append="$append vmtest_stages=$stages"
# Single-stage runs are the peers' kselftest suites: upstream's iommufd maps
# up to 128 MiB with MAP_HUGETLB, so those boots reserve 64 2 MiB pages.
[ "$stages" = 1 ] && append="$append hugepages=64"
append="$append ${APPEND:-}"

qemu() {
	local accel=$1 serial=$2 extra=$3 tmo=$4
	# -device intel-iommu must come before the devices it translates.
	timeout --foreground -k 5 "$tmo" qemu-system-x86_64 \
		-machine q35,kernel-irqchip=split $accel \
		-m "$mem" -smp 2 -nographic -nodefaults -no-reboot \
		-device "$iommu" "${devices[@]}" \
		-trace enable=vtd_dmar_fault -trace enable=vtd_fault_disabled -D "${serial%.log}.trace" \
		-serial file:"$serial" \
		-kernel "$kernel" -initrd "$work/initrd-1.cpio" \
		-append "$append $extra" </dev/null
}

accel="-accel tcg -cpu max"
if [ "${KVM:-0}" = 1 ]; then
	if [ -w /dev/kvm ] && qemu "-accel kvm -cpu host" "$work/probe.log" vmtest_probe 20 >/dev/null 2>&1 &&
	   grep -q "VMTEST: probe ok" "$work/probe.log"; then
		accel="-accel kvm -cpu host"
	else
		echo "vmtest: KVM asked for but a probe guest did not boot within 20 s; falling back to TCG" >&2
	fi
fi

start=$SECONDS
rc=0
qemu "$accel" "$log" "" "$timeout_s" > "$work/qemu.out" 2>&1 || rc=$?
secs=$((SECONDS - start))
[ -s "$work/qemu.out" ] && cp "$work/qemu.out" "${log%.log}.qemu"
[ -f "$log" ] || : > "$log"
[ -f "$trace" ] || : > "$trace"

# Kernel reports in the serial log (printk lines only, not the program's
# output): "kind xN, ..." in the order first seen, a BUG, Oops or WARNING
# with its first line.  Lockdep and RCU reports start with "WARNING:" too;
# each line counts once, under its first kind.
kernel_reports() {
	awk 'match($0, /\[ *[0-9]+\.[0-9]+\] /) {
		text = substr($0, RSTART + RLENGTH)
		if (/possible circular locking dependency/) k = "lockdep circular locking dependency"
		else if (/inconsistent lock state/) k = "lockdep inconsistent lock state"
		else if (/possible recursive locking/) k = "lockdep recursive locking"
		else if (/suspicious RCU usage/) k = "suspicious RCU usage"
		else if (/INFO: task .* blocked for more than/) k = "hung task"
		else if (/rcu: INFO: .*stall|detected stalls? on CPU|self-detected stall/) k = "RCU stall"
		else if (text ~ /^BUG: /) k = "BUG"
		else if (text ~ /^Oops: /) k = "Oops"
		else if (text ~ /^WARNING: /) k = "WARNING"
		else next
		if (!(k in n)) {
			kinds[++nk] = k
			first[k] = k ~ /^(BUG|Oops|WARNING)$/ ? " (first: " text ")" : ""
		}
		n[k]++
	}
	END {
		for (i = 1; i <= nk; i++)
			printf "%s%s x%d%s", (i > 1 ? ", " : ""), kinds[i], n[kinds[i]], first[kinds[i]]
	}' "$log"
}

faults=$(grep -c 'DMAR: \[DMA \(Read\|Write\)' "$log" || true)
qfaults=$(grep -cE '(^|:)vtd_(dmar_fault|fault_disabled) ' "$trace" || true)
reports=$(kernel_reports)
# kselftest's "# Totals: pass:N fail:N xfail:N xpass:N skip:N error:N", one
# per stage, summed as "N cases: N pass, N skip" (counts of 0 left out).
totals=$(grep -a '^# Totals: ' "$log" | awk '
	{ for (i = 3; i <= NF; i++) { split($i, kv, ":"); n[kv[1]] += kv[2]; all += kv[2] } }
	END {
		if (!NR) exit
		out = all " cases: " n["pass"] " pass"
		split("fail xfail xpass skip error", k)
		for (i = 1; i <= 5; i++)
			if (n[k[i]]) out = out ", " n[k[i]] " " k[i]
		print out
	}' || true)
summary="$name [$mode] ${secs}s${totals:+, $totals}, DMAR faults: guest $faults, qemu $qfaults"
[ "$edus" = 1 ] || summary="$summary, $edus edu"
[ "$stages" -le 2 ] || summary="$summary, $stages stages"

# Every stage exited 0 ("VMTEST: stage k exit 0 tsc=...") and the last one
# powered off.
all_exited() {
	local k
	for ((k = 1; k <= stages; k++)); do
		grep -qE "^VMTEST: stage $k exit 0( |\$)" "$log" || return 1
	done
	grep -q '^VMTEST: done' "$log"
}

# Reasons to fail, in order: no result, kernel reports, faults.
why=""
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	why="timed out after ${timeout_s}s"
elif ! all_exited; then
	why=$(grep -E '^VMTEST: (stage [0-9]+ (exit|signal)|abort|kexec_file|cannot|execve)' "$log" | tr '\n' ';' || true)
	grep -q 'Kernel panic' "$log" && why="$why kernel panic;"
	[ -s "$log" ] || why="no serial output; $(head -n 1 "$work/qemu.out");"
	why=${why:-no result in serial log}
fi
[ -n "$reports" ] && why="${why:+$why; }kernel reports: $reports"
if [ "${NO_FAULTS:-0}" = 1 ] && [ "$((faults + qfaults))" -gt 0 ]; then
	why="${why:+$why; }DMAR faults with NO_FAULTS=1 (QEMU's: $trace)"
fi
if [ -n "$why" ]; then
	echo "FAIL: $summary: $why (log: $log)"
	exit 1
fi

# kselftest TAP: "ok N name # XFAIL|XPASS ...", an expected failure.
xfail=$(grep -cE '^ok [0-9]+ .*# XFAIL' "$log" || true)
xpass=$(grep -cE '^ok [0-9]+ .*# XPASS' "$log" || true)
if [ "$xfail" -gt 0 ]; then
	echo "XFAIL: $summary; $xfail XFAIL, $xpass XPASS (log: $log)"
elif [ "$xpass" -gt 0 ]; then
	echo "XPASS: $summary; $xpass XPASS"
else
	echo "PASS: $summary"
fi
