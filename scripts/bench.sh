#!/usr/bin/env bash
# Benchmarks: numbers only, nothing asserted about time.
# 1. iommupt: preserve / restore / adopt / map-from-scratch of a VT-d
#    second-stage table against its number of table pages (KUnit suite
#    iommu_pt_liveupdate_bench, run under UML with KHO stubbed out).
# 2. The same through real KHO across a real kexec, 1 GiB of 4 KiB mappings
#    (the iommupt_lu_kho VM test, TCG).
# 3. Device live update: metadata, context tables, preserve and restore
#    time per device (the vfio_edu_lu_multi VM test, TCG).
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
