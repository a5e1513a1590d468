#!/usr/bin/env bash
# The main job, shown in a VM: a device keeps doing DMA through a kexec,
# and the VMM takes everything back in the new kernel and updates again.
# 1. vfio_edu_dma_kexec streams edu DMA through a vfio-pci cdev and iommufd,
#    preserves the memfd, the iommufd (its HWPT marked) and the cdev in a
#    LUO session and kexecs while a transfer is in flight: every transfer
#    arrives, bus mastering stays on, no DMAR fault.
# 2. vfio_edu_lu_reclaim runs the VMM's whole flow over three stages, with
#    two edu devices: in each new kernel it retrieves the cdev, the iommufd
#    and the memfd, reclaims the HWPT by its token with the IOAS it was on
#    (the second edu's HWPT comes back on the same IOAS), maps into that
#    IOAS and unmaps from it (DMA to the unmapped range faults: the only
#    faults of the run, which the test counts), finishes, and preserves the
#    same HWPT again for the next kexec (two live updates in all).
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
# program:stages:NIC:edu devices:NO_FAULTS
for run in vfio_edu_dma_kexec:2:0:1:1 vfio_edu_lu_reclaim:3:0:2:0 vfio_nic_lu_stream:3:1:1:1; do
	IFS=: read -r p stages nic edu nf <<< "$run"
	log=$top/build/vmtest/$p-$mode-demo.log
	echo
	echo "$p, $stages stages ($((stages - 1)) live updates):"
	LOG=$log NO_FAULTS=$nf STAGES=$stages NIC=$nic EDU=$edu "$top/scripts/vmtest.sh" \
		"$top/build/tests/iommu/$p" "$mode" || rc=1
	grep -E '^(ok|not ok|# )|liveupdate:|restored in|VMTEST: stage' "$log" 2>/dev/null |
		grep -v -e '^# \[STAGE' -e '^# Totals' | sed 's/^/    /' || true
done
exit "$rc"
