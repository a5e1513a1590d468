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
# 3. vfio_nic_lu_stream: QEMU's e1000e NIC receives a stream of frames from
#    the host through a vfio-pci cdev and iommufd, without a pause, through
#    two live updates: the frames received during each kexec (written by
#    the NIC while no driver looked) and none lost.
# IOMMU=legacy|sm|sm-fl picks the VT-d mode.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
mode=${IOMMU:-legacy}
echo "demo: IOMMU live update, VT-d $mode mode"
rc=0
for run in vfio_edu_dma_kexec:2:0 vfio_edu_lu_reclaim:3:0 vfio_nic_lu_stream:3:1; do
	IFS=: read -r p stages nic <<< "$run"
	log=$top/build/vmtest/$p-$mode-demo.log
	echo
	echo "$p, $stages stages ($((stages - 1)) live updates):"
	LOG=$log NO_FAULTS=1 STAGES=$stages NIC=$nic "$top/scripts/vmtest.sh" \
		"$top/build/tests/iommu/$p" "$mode" || rc=1
	grep -E '^(ok|not ok|# )|liveupdate:|restored in|VMTEST: stage' "$log" 2>/dev/null |
		grep -v -e '^# \[STAGE' -e '^# Totals' | sed 's/^/    /' || true
done
exit "$rc"
