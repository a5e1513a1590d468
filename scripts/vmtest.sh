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
#   STAGES   N, 2 (default) to 12: -s 1, kexec, -s 2, ..., kexec, -s N;
#            1: a single run, no kexec
#   KERNEL   bzImage to boot (default build/obj/arch/x86/boot/bzImage)
#   KVM=1    use KVM if a short probe boots; otherwise TCG (the default)
#   TIMEOUT  seconds for the whole run (default 300)
#   MEM      guest memory (default 1G)
#   LOG      serial log path (default build/vmtest/<prog>-<mode>.log); the
#            log and its .trace/.qemu companions are removed before the run
#   EDU      number of edu devices, 1 (the default) to 8; see below
#   NO_FAULTS=1  fail the run on any DMAR fault, the guest's or QEMU's
#   STALL_S  seconds without serial output in a boot (before its /init)
#            after which the run stops as "boot stalled" (default 60)
#   VMTEST_LOCK  a file to hold a flock(1) on while QEMU runs, so that
#            runs started side by side (several shells, helpers) boot one
#            at a time: two TCG guests on two host cores slow each other
#            down enough to change what a timing-sensitive test sees
#   APPEND   more kernel command line, for every stage (a program may read
#            its options there)
#   APPEND2  more kernel command line for stage 2 and every later stage only,
#            last, so it overrides what comes before it (liveupdate=off,
#            iommu.passthrough=1, ...)
#   NIC=1    a QEMU e1000e NIC (8086:10d3) behind its own root port at
#            00:1d.0, fed by a stream of frames from the host; see below
#   NIC_FPS  frames a second of that stream (default 500)
#   NIC_SENDER  a shell command that sends the stream in place of
#            build/nic_sender; it gets NIC_PORT and NIC_FPS in its
#            environment and is stopped with SIGTERM after QEMU exits
#
# The NIC's backend is "-netdev dgram" on 127.0.0.1:NIC_PORT, a UDP port
# vmtest.sh picks: each datagram sent to it, from any source address, is
# one Ethernet frame received by the NIC.  The frames the tests accept
# (README, "The VM harness"): destination ff:ff:ff:ff:ff:ff, any source,
# ethertype 0x88b5, a little-endian u64 sequence number, consecutive from
# any starting value, and zeros up to at least 60 bytes.  The sender starts
# before QEMU and runs until it exits; its output is <log>.sender, and the
# summary line gives the datagrams the host dropped at the backend's socket
# (a full socket buffer: the host, not the guest, lost them).
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
[1-9] | 1[0-2]) ;;
*) die "STAGES=$stages: the number of stages, 1 (no kexec) or 2 to 12" ;;
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

# NIC=1: an e1000e behind its own root port (a singleton IOMMU group),
# its backend a UDP socket on 127.0.0.1 fed by the sender; what the guest
# transmits goes to a second port nobody reads.
nic=${NIC:-0}
nic_fps=${NIC_FPS:-500}
case "$nic" in 0 | 1) ;; *) die "NIC=$nic: 0 or 1" ;; esac
case "$nic_fps" in
'' | *[!0-9]*) die "NIC_FPS=$nic_fps: frames a second, a number" ;;
esac
if [ "$nic" = 1 ]; then
	free_udp_ports() {	# two UDP ports of 127.0.0.1 free right now
		python3 -c 'import socket
s = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])'
	}
	read -r nic_port nic_sink <<< "$(free_udp_ports)"
	devices+=(-device "pcie-root-port,id=rpnic,bus=pcie.0,addr=1d.0,chassis=32"
		  -device "e1000e,bus=rpnic,addr=00.0,netdev=nic0,mac=52:54:00:12:34:56"
		  -netdev "dgram,id=nic0,local.type=inet,local.host=127.0.0.1,local.port=$nic_port,remote.type=inet,remote.host=127.0.0.1,remote.port=$nic_sink")
	nic_sender=${NIC_SENDER:-$top/build/nic_sender}
	[ -n "${NIC_SENDER:-}" ] || [ -x "$nic_sender" ] ||
		die "$nic_sender missing; run 'make progs'"
fi

[ -f "$kernel" ] || die "no kernel at $kernel; run 'make kernel'"
obj=$(cd "$(dirname "$kernel")/../../.." && pwd)
cpio_gen=$obj/usr/gen_init_cpio
[ -x "$cpio_gen" ] || die "$cpio_gen missing; run 'make kernel'"
init=$top/build/init
[ -x "$init" ] || die "$init missing; run 'make kernel'"

name=$(basename "$prog")
work=$(mktemp -d "${TMPDIR:-/tmp}/vmtest.XXXXXX")
sender_pid=""
stop_sender() {
	[ -n "$sender_pid" ] || return 0
	kill -TERM -- "-$sender_pid" 2>/dev/null || true
	wait "$sender_pid" 2>/dev/null || true
	sender_pid=""
}
trap 'stop_sender; rm -rf "$work"' EXIT
mkdir -p "$top/build/vmtest"
log=${LOG:-$top/build/vmtest/$name-$mode.log}
trace=${log%.log}.trace
rm -f "$log" "$trace" "${log%.log}.qemu" "${log%.log}.sender"

# no_timer_check: a TCG guest on a loaded host can miss the IO-APIC timer
# check at boot and panic ("timer doesn't work through Interrupt-remapped
# IO-APIC"), before anything is tested.
append="console=ttyS0 printk.time=1 panic=-1 oops=panic liveupdate=on intel_iommu=on loglevel=7 no_timer_check"
append="$append vmtest_stages=$stages"
# Single-stage runs are the peers' kselftest suites: upstream's iommufd maps
# up to 128 MiB with MAP_HUGETLB, so those boots reserve 64 2 MiB pages.
[ "$stages" = 1 ] && append="$append hugepages=64"
append="$append ${APPEND:-}"

# The command line of stage k (the one QEMU boots is stage 1's): from
# stage 2 on, luo_stage=k and then APPEND2, last.
stage_cmdline() {
	if [ "$1" = 1 ]; then
		echo "$append"
	else
		echo "$append luo_stage=$1 ${APPEND2:-}"
	fi
}

# initrd-k.cpio is what stage k boots with.  Each but the last also carries
# the kernel and the next one, as /kernel and /initrd.img for
# kexec_file_load(), and the next stage's command line as /next_cmdline:
# they nest, built from the last one out.
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
	stage_cmdline $((k + 1)) > "$work/cmdline-$((k + 1))"
	printf '%s\nfile /kernel %s 0644 0 0\nfile /initrd.img %s 0644 0 0\nfile /next_cmdline %s 0644 0 0\n' \
		"$base" "$kernel" "$work/initrd-$((k + 1)).cpio" "$work/cmdline-$((k + 1))" \
		> "$work/initrd-$k.list"
	"$cpio_gen" "$work/initrd-$k.list" > "$work/initrd-$k.cpio"
done

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

# The datagrams the host kernel dropped at the backend's socket (full
# receive buffer), sampled each second while QEMU runs: /proc/net/udp's
# last field, on the line of 127.0.0.1:nic_port.
udp_drops() {
	awk -v port="$(printf '0100007F:%04X' "$nic_port")" \
		'$2 == port { print $NF; exit }' /proc/net/udp
}
if [ -n "${VMTEST_LOCK:-}" ]; then
	exec 9>>"$VMTEST_LOCK"
	flock 9
fi
sender_drops=0
if [ "$nic" = 1 ]; then
	# Its own process group, so that SIGTERM reaches a compound command.
	NIC_PORT=$nic_port NIC_FPS=$nic_fps setsid bash -c "$nic_sender" \
		> "${log%.log}.sender" 2>&1 9>&- &
	sender_pid=$!
	( while sleep 1; do udp_drops > "$work/drops.new" && mv "$work/drops.new" "$work/drops"; done ) 9>&- &
	drops_pid=$!
fi

# A boot that prints nothing for STALL_S seconds (default 60) before its
# /init runs is stopped: a TCG guest can stall early in boot when the host
# is busy (design.md, section 10).  The run fails with "boot stalled", which
# scripts/check.sh retries once; a stage that runs quietly is left alone.
booting() {	# the log's last VMTEST line is a kexec, or there is none yet
	local last
	last=$(grep -a '^VMTEST: ' "$log" 2>/dev/null | tail -n 1)
	[ -z "$last" ] || [ "$last" = "VMTEST: kexec" ]
}
watch_boot() {
	local size=-1 now quiet=0
	while sleep 5; do
		now=$(stat -c %s "$log" 2>/dev/null || echo 0)
		if [ "$now" != "$size" ]; then
			size=$now quiet=0
			continue
		fi
		quiet=$((quiet + 5))
		if [ "$quiet" -ge "${STALL_S:-60}" ] && booting; then
			: > "$work/stalled"
			kill -TERM "$1" 2>/dev/null
			return
		fi
	done
}

start=$SECONDS
rc=0
qemu "$accel" "$log" "" "$timeout_s" > "$work/qemu.out" 2>&1 9>&- &
qemu_pid=$!
watch_boot "$qemu_pid" 9>&- &
watch_pid=$!
wait "$qemu_pid" || rc=$?
kill "$watch_pid" 2>/dev/null || true
wait "$watch_pid" 2>/dev/null || true
secs=$((SECONDS - start))
if [ "$nic" = 1 ]; then
	kill "$drops_pid" 2>/dev/null || true
	wait "$drops_pid" 2>/dev/null || true
	sender_drops=$(cat "$work/drops" 2>/dev/null || true)
	sender_drops=${sender_drops:-0}
	stop_sender
fi
[ -s "$work/qemu.out" ] && cp "$work/qemu.out" "${log%.log}.qemu"
[ -f "$log" ] || : > "$log"
[ -f "$trace" ] || : > "$trace"

# The kernel prints to the serial port while a program's line is still
# going out through the tty, so a kernel line ("[   2.05] ...") can land
# inside a program's line, whose rest then follows it.  Put such a line
# back together after the kernel's, and keep the raw log beside it (the
# firmware's escape sequences before the first kernel line are left alone).
unsplice() {
	awk '{ sub(/\r$/, "") }
	     pending != "" && /^\[ *[0-9]+\.[0-9]+\] / { print; next }
	     pending != "" { $0 = pending $0; pending = "" }
	     match($0, /\[ *[0-9]+\.[0-9]+\] /) && RSTART > 1 &&
	     substr($0, 1, RSTART - 1) !~ /\033/ {
		pending = substr($0, 1, RSTART - 1)
		print substr($0, RSTART); n++; next
	     }
	     { print }
	     END { if (pending != "") print pending
		   if (n) printf "vmtest: %d kernel line(s) moved out of program lines (raw log: %s)\n", n, raw }' \
		raw="$2" "$1"
}
if grep -aE '^[^[].*\[ *[0-9]+\.[0-9]+\] ' "$log" | grep -aqv $'\033'; then
	mv "$log" "${log%.log}.raw"
	unsplice "${log%.log}.raw" "${log%.log}.raw" > "$log"
fi

# Kernel reports anywhere in the serial log, the power-off after the last
# stage included: "kind xN, ..." in the order first seen, a BUG, Oops,
# WARNING or panic with its first line.  Lockdep and RCU reports start with
# "WARNING:" too; each line counts once, under its first kind.  "BUG:" and
# "Kernel panic" count on any line, a printk's or not (a panic can cut a
# line short); the rest only on printk lines, not in a program's output.
kernel_reports() {
	awk '/Kernel panic/ || /BUG: / {
		text = $0
		sub(/^.*\[ *[0-9]+\.[0-9]+\] /, "", text)
		k = /Kernel panic/ ? "Kernel panic" : "BUG"
		if (!(k in n)) {
			kinds[++nk] = k
			first[k] = " (first: " text ")"
		}
		n[k]++
		next
	}
	match($0, /\[ *[0-9]+\.[0-9]+\] /) {
		text = substr($0, RSTART + RLENGTH)
		if (/kmemleak: [0-9]+ new suspected memory leak/) k = "kmemleak"
		else if (/possible circular locking dependency/) k = "lockdep circular locking dependency"
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
			first[k] = k ~ /^(BUG|Oops|WARNING|kmemleak)$/ ? " (first: " text ")" : ""
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
if [ "$nic" = 1 ]; then
	summary="$summary, NIC $nic_fps fps, host socket drops $sender_drops"
	stream=$(grep -aoE 'nic-stream: .*' "$log" | tail -n 1 || true)
	[ -z "$stream" ] || summary="$summary, $stream"
fi

# Every stage exited 0 ("VMTEST: stage k exit 0 tsc=...") and the last one
# powered off.
all_exited() {
	local k
	for ((k = 1; k <= stages; k++)); do
		grep -qE "^VMTEST: stage $k exit 0( |\$)" "$log" || return 1
	done
	grep -q '^VMTEST: done' "$log"
}

# A stage that exited 4 (kselftest's KSFT_SKIP: it skipped everything)
skipped_stage() {
	grep -m1 -oE '^VMTEST: stage [0-9]+ exit 4( |$)' "$log" | sed 's/^VMTEST: //; s/ *$//'
}

# kselftest TAP, stage by stage (between its VMTEST start and exit lines):
# a stage that printed a plan "1..N" must print exactly N results, and no
# result may be "not ok".  Prints what is wrong, "; "-separated.
tap_problems() {
	awk '
	function done_stage() {
		if (stage && plan >= 0 && results != plan)
			out = out sep "stage " stage ": plan 1.." plan ", " results " results"
		if (out != "") sep = "; "
		stage = 0
	}
	/^VMTEST: stage [0-9]+ start/ { done_stage(); stage = $3; plan = -1; results = 0; next }
	/^VMTEST: stage [0-9]+ (exit|signal)/ { done_stage(); next }
	!stage { next }
	/^1\.\.[0-9]+/ { plan = substr($1, 4) + 0; next }
	/^not ok [0-9]+/ {
		results++
		if (nfail++ < 3) { out = out sep "stage " stage ": " $0; sep = "; " }
		next
	}
	/^ok [0-9]+/ { results++ }
	END { done_stage(); print out }' "$log"
}

# Whether anything was skipped: a "# SKIP" result, a plan of nothing
# ("1..0 # SKIP"), or a stage that exited KSFT_SKIP.  A run that skipped
# any part prints SKIP, never PASS.
skip_note() {
	local n
	n=$(grep -cE '^ok [0-9]+ .*# SKIP' "$log" || true)
	if [ "$n" -gt 0 ]; then
		echo "$n skipped: $(grep -m1 -E '^ok [0-9]+ .*# SKIP' "$log" | sed 's/^ok [0-9]* *//')"
	elif grep -qE '^1\.\.0( |$)' "$log"; then
		echo "skipped: $(grep -m1 -E '^1\.\.0( |$)' "$log")"
	elif [ -n "$(skipped_stage)" ]; then
		echo "$(skipped_stage) (KSFT_SKIP)"
	fi
}

# Reasons to fail, in order: no result, TAP, kernel reports, faults.
why=""
skip=$(skip_note)
if [ -e "$work/stalled" ]; then
	k=$(grep -ac '^VMTEST: stage [0-9]* start' "$log" || true)
	why="boot stalled: no serial output for ${STALL_S:-60}s in stage $((k + 1))'s boot, after: $(grep -av '^$' "$log" | tail -n 1 | cut -c1-100)"
elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	why="timed out after ${timeout_s}s"
elif [ -n "$(skipped_stage)" ] && [ -n "$skip" ]; then
	:	# skipped, reported below unless something else failed
elif ! all_exited; then
	why=$(grep -E '^VMTEST: (stage [0-9]+ (exit|signal)|abort|kexec_file|cannot|execve)' "$log" | tr '\n' ';' || true)
	grep -q 'Kernel panic' "$log" && why="$why kernel panic;"
	[ -s "$log" ] || why="no serial output; $(head -n 1 "$work/qemu.out");"
	why=${why:-no result in serial log}
fi
tap=$(tap_problems)
[ -n "$tap" ] && why="${why:+$why; }TAP: $tap"
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
if [ -n "$skip" ]; then
	echo "SKIP: $summary; $skip (log: $log)"
elif [ "$xfail" -gt 0 ]; then
	echo "XFAIL: $summary; $xfail XFAIL, $xpass XPASS (log: $log)"
elif [ "$xpass" -gt 0 ]; then
	echo "XPASS: $summary; $xpass XPASS"
else
	echo "PASS: $summary"
fi
