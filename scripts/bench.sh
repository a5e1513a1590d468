#!/usr/bin/env bash
# Benchmarks: numbers only, nothing asserted about time.
# 1. iommupt: preserve / restore / adopt / map-from-scratch of a VT-d
#    second-stage table against its number of table pages (KUnit suite
#    iommu_pt_liveupdate_bench, run under UML with KHO stubbed out).
# 2. The same through real KHO across a real kexec, 1 GiB of 4 KiB mappings
#    (the iommupt_lu_kho VM test, TCG).
# 3. Device live update: metadata, context tables, preserve and restore
#    time per device (the vfio_edu_lu_multi VM test, TCG).
# 4. The VMM in the next kernel: restoring a preserved HWPT against building
#    it again, for 1 GiB of memfd in 4 KiB and in 2 MiB folios; the kexec
#    and the time to DMA through the reclaimed HWPT (the vfio_edu_lu_bench
#    VM test, TCG).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
src="$top/build/linux"
log="$top/build/bench.log"
# shellcheck source=ccache.env
. "$top/scripts/ccache.env"

cd "$src"
# kunit.py shows a passing test's log only in its raw output.
./tools/testing/kunit/kunit.py run --arch=um --build_dir="$top/build/kunit-bench" \
	--kunitconfig=drivers/iommu/generic_pt/bench --kernel_args=mem=1G \
	--jobs="$(nproc)" --make_options CC="$cc" --timeout=1200 --raw_output=kunit \
	> "$log" 2>&1 || true
if ! grep -qE '^ *ok [0-9]+ iommu_pt_liveupdate_bench' "$log"; then
	tail -n 20 "$log" >&2
	echo "bench: the benchmark suite did not pass (log: $log)" >&2
	exit 1
fi
echo "iommupt preserve/restore vs. table pages ($(uname -m) host, UML guest, one run each; log: $log)"
grep -E 'stubbed KHO|ns/table' "$log" | sed -e 's/^ *# *//' -e 's/^iommu_pt_lu_bench: //'

vmlog="$top/build/vmtest/iommupt_lu_kho-bench.log"
echo
echo "iommupt through real KHO and a kexec (VM test iommupt_lu_kho, TCG guest, one run; log: $vmlog)"
if ! LOG=$vmlog "$top/scripts/vmtest.sh" "$top/build/tests/iommu/iommupt_lu_kho" legacy >/dev/null; then
	echo "bench: the iommupt_lu_kho VM run failed (log: $vmlog)" >&2
	exit 1
fi
grep -E '^# real KHO' "$vmlog" | sed 's/^# //'

# 3. Device live update: preserved metadata, context tables and time per
#    device, for 1 and for 8 preserved edu devices (8: four on the root bus,
#    four behind their own root ports), in each VT-d mode.
echo
echo "device live update (VM test vfio_edu_lu_multi, every edu preserved, TCG guest, one run each)"
printf '%-7s %4s %16s %15s %17s %17s\n' mode devs "metadata bytes" "context tables" "preserve us/dev" "restore us/dev"
for mode in legacy sm sm-fl; do
	for n in 1 8; do
		vmlog="$top/build/vmtest/vfio_edu_lu_multi-bench-$mode-$n.log"
		if ! LOG=$vmlog EDU=$n APPEND=edu_lu_all "$top/scripts/vmtest.sh" \
			"$top/build/tests/iommu/vfio_edu_lu_multi" "$mode" >/dev/null; then
			echo "bench: the vfio_edu_lu_multi VM run failed (log: $vmlog)" >&2
			exit 1
		fi
		bytes=$(sed -n 's/.*iommu: liveupdate: .* in \([0-9]*\) bytes.*/\1/p' "$vmlog")
		tables=$(sed -n 's/.*adopted, \([0-9]*\) context tables.*/\1/p' "$vmlog")
		pres=$(sed -n 's/.*mark + preserve iommufd and cdev: \([0-9]*\) us.*/\1/p' "$vmlog" |
			awk '{ s += $1; n++ } END { if (n) printf "%d", s / n }')
		rest=$(sed -n 's/.*preserved DMA translation restored in \([0-9]*\) us.*/\1/p' "$vmlog" |
			awk '{ s += $1; n++ } END { if (n) printf "%d", s / n }')
		printf '%-7s %4s %16s %15s %17s %17s\n' "$mode" "$n" "$bytes" "$tables" "$pres" "$rest"
	done
done

# 4. Phase 2: what the VMM does in the next kernel, measured in the program
#    with CLOCK_MONOTONIC around each ioctl, one run per VT-d mode with two
#    1 GiB memfds side by side (one of 4 KiB folios, one of 2 MiB shmem THP
#    folios), each preserved with its own iommufd and edu device, and a third
#    edu for the re-creation.  restore = RETRIEVE_FD of the iommufd (which
#    pins every page its preserved HWPT maps and checks the translation) +
#    IOMMU_HWPT_LIVEUPDATE_RETRIEVE + VFIO_DEVICE_ATTACH_IOMMUFD_PT;
#    re-create = IOMMU_IOAS_ALLOC + IOMMU_HWPT_ALLOC + IOMMU_IOAS_MAP_FILE of
#    the same (retrieved) memfd + attaching a device that nothing attached
#    since the boot, from the blocked state.  Retrieving the memfd, the cdev
#    and binding are needed either way: shown, not counted.  The kexec and
#    the way back to DMA come from the guest TSC (init logs it at each
#    stage's start and exit, the program at its steps; it keeps counting
#    across the kexec), converted with the TSC frequency the guest kernel
#    logs; the kexec also with two 16 MiB memfds, in legacy mode.  MEM=6G: the cold boot gives about 30% of memory to KHO's
#    scratch areas (CMA), where long-term pinned pages cannot stay; at 3G
#    stage 1 runs out of memory.
mib=1024
echo
echo "restore vs. re-create of a 1 GiB address space (VM test vfio_edu_lu_bench, TCG guest, one run per mode; ms)"
# The value after the word $2 (the first word if $2 is empty) on the line
# that starts with "# bench: $1", in log $3; the prefix's words not counted
bv() {
	awk -v pre="# bench: $1" -v key="$2" 'index($0, pre) == 1 {
		n = split(pre, w)
		if (key == "") { print $(n + 1); exit }
		for (i = n + 1; i < NF; i++)
			if ($i == key) { print $(i + 1); exit } }' "$3"
}
tsc_mhz() {
	awk '/Refined TSC clocksource calibration:/ { r = $(NF - 1) }
	     /tsc: Detected .* MHz/ { d = $(NF - 2) }
	     END { print r ? r : d }' "$1"
}
stage_tsc() { sed -n "s/^VMTEST: stage $1 $2.*tsc=\([0-9]*\).*/\1/p" "$3"; }
# ms between two TSC values
tms() { awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN { printf "%.0f", (b - a) / f / 1000 }'; }
ms() { awk -v u="$1" 'BEGIN { printf "%.1f", u / 1000 }'; }

run_bench() {	# mode, MiB, log
	if ! LOG=$3 MEM=6G TIMEOUT=1200 EDU=3 NO_FAULTS=1 APPEND="edu_lu_bench_mib=$2" \
		"$top/scripts/vmtest.sh" "$top/build/tests/iommu/vfio_edu_lu_bench" "$1" >/dev/null; then
		echo "bench: the vfio_edu_lu_bench VM run failed (log: $3)" >&2
		exit 1
	fi
}

row() { printf '%-7s %-6s %10s %9s %8s %7s %12s %6s %9s %7s %9s %12s\n' "$@"; }
row mode folios restore iommufd reclaim attach re-create alloc map_file attach ratio "memfd retr."
for mode in legacy sm sm-fl; do
	vmlog="$top/build/vmtest/vfio_edu_lu_bench-bench-$mode.log"
	run_bench "$mode" "$mib" "$vmlog"
	for k in 4k 2m; do
		r="$k restore us:" c="$k recreate us:"
		rt=$(bv "$r" total "$vmlog") ct=$(bv "$c" total "$vmlog")
		row "$mode" "$k" "$(ms "$rt")" "$(ms "$(bv "$r" iommufd "$vmlog")")" \
			"$(ms "$(bv "$r" reclaim "$vmlog")")" "$(ms "$(bv "$r" attach "$vmlog")")" \
			"$(ms "$ct")" "$(ms "$(bv "$c" alloc "$vmlog")")" \
			"$(ms "$(bv "$c" map_file "$vmlog")")" "$(ms "$(bv "$c" attach "$vmlog")")" \
			"$(awk -v c="$ct" -v r="$rt" 'BEGIN { printf "%.2fx", c / r }')" \
			"$(ms "$(bv "$r" memfd "$vmlog")")"
	done
done
echo "(ratio = re-create / restore; the goal is >= 100x.  memfd retr. = RETRIEVE_FD of the memfd, before either.)"

echo
echo "the 2 MiB memfd: folios and IO page table leaves (VT-d debugfs) of 1 GiB"
for mode in legacy sm sm-fl; do
	vmlog="$top/build/vmtest/vfio_edu_lu_bench-bench-$mode.log"
	printf '%-7s MiB in 2 MiB folios: stage 1 %s, after the kexec %s; 2 MiB leaves: stage 1 %s, reclaimed %s, re-created %s\n' \
		"$mode" "$(bv "2m folios stage 1:" "" "$vmlog")" \
		"$(bv "2m folios stage 2:" "" "$vmlog")" "$(bv "2m leaves stage 1:" 2m "$vmlog")" \
		"$(bv "2m leaves reclaimed:" 2m "$vmlog")" "$(bv "2m leaves recreated:" 2m "$vmlog")"
done

echo
echo "the kexec and the way back to DMA (guest TSC; ms from stage 2 start; edu completes a transfer 100 ms after it starts)"
small="$top/build/vmtest/vfio_edu_lu_bench-bench-legacy-small.log"
run_bench legacy 16 "$small"
trow() { printf '%-7s %11s %10s %12s %10s %12s %10s %12s\n' "$@"; }
trow mode "memfds MiB" "kexec" "sysfs DMA" "4k attach" "4k DMA done" "2m attach" "2m DMA done"
for run in legacy sm sm-fl legacy-small; do
	vmlog="$top/build/vmtest/vfio_edu_lu_bench-bench-$run.log"
	f=$(tsc_mhz "$vmlog") s1=$(stage_tsc 1 exit "$vmlog") s2=$(stage_tsc 2 start "$vmlog")
	n=$mib
	[ "$run" = legacy-small ] && n=16
	trow "${run%-small}" "2 x $n" "$(tms "$s1" "$s2" "$f")" \
		"$(tms "$s2" "$(bv "4k tsc sysfs" dma "$vmlog")" "$f")" \
		"$(tms "$s2" "$(bv "4k tsc" attached "$vmlog")" "$f")" \
		"$(tms "$s2" "$(bv "4k tsc attached" dma "$vmlog")" "$f")" \
		"$(tms "$s2" "$(bv "2m tsc" attached "$vmlog")" "$f")" \
		"$(tms "$s2" "$(bv "2m tsc attached" dma "$vmlog")" "$f")"
done
echo "(kexec = stage 1 exit to stage 2 start.  The devices never stop translating: the transfers in flight at the kexec and"
echo " started through sysfs at stage 2 start, before anything is retrieved, arrive; the 4k device is taken back first.)"
