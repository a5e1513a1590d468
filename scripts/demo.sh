#!/usr/bin/env bash
# The main job, shown in a VM: a device keeps doing DMA through a kexec,
# and the VMM takes everything back in the new kernel and updates again.
# 1. vfio_edu_dma_kexec streams edu DMA through a vfio-pci cdev and iommufd,
#    preserves the memfd, the iommufd (its HWPT marked) and the cdev in a
#    LUO session and kexecs while a transfer is in flight: every transfer
#    arrives, bus mastering stays on, no DMAR fault.
# 2. vfio_edu_lu_reclaim runs the VMM's whole flow over three stages: in
#    each new kernel it retrieves the cdev, the iommufd and the memfd,
#    reclaims the HWPT by its token, replaces it with a new HWPT while a
#    transfer is in flight, destroys it, finishes, and preserves again for
#    the next kexec (two live updates in all).
# IOMMU=legacy|sm|sm-fl picks the VT-d mode.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
mode=${IOMMU:-legacy}
echo "demo: IOMMU live update, VT-d $mode mode"
rc=0
for run in vfio_edu_dma_kexec:2 vfio_edu_lu_reclaim:3; do
	p=${run%:*} stages=${run#*:}
	log=$top/build/vmtest/$p-$mode-demo.log
	echo
	echo "$p, $stages stages ($((stages - 1)) live updates):"
	LOG=$log NO_FAULTS=1 STAGES=$stages "$top/scripts/vmtest.sh" \
		"$top/build/tests/iommu/$p" "$mode" || rc=1
	grep -E '^(ok|not ok|# )|liveupdate:|restored in|VMTEST: stage' "$log" 2>/dev/null |
		grep -v -e '^# \[STAGE' -e '^# Totals' | sed 's/^/    /' || true
done
exit "$rc"
