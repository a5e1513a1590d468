#!/usr/bin/env bash
# The main job, shown in a VM: a device keeps doing DMA through a kexec.
# vfio_edu_dma_kexec streams edu DMA through a vfio-pci cdev and iommufd,
# preserves the memfd, the iommufd (its HWPT marked) and the cdev in a LUO
# session and kexecs while a transfer is in flight: every transfer arrives,
# bus mastering stays on, and the IOVA still reaches the memory with no
# DMAR fault.  vfio_edu_lu_multi then shows a preserved and an unpreserved
# device side by side.  IOMMU=legacy|sm|sm-fl picks the VT-d mode.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
mode=${IOMMU:-legacy}
echo "demo: IOMMU live update, VT-d $mode mode"
rc=0
for run in vfio_edu_dma_kexec vfio_edu_lu_multi@2; do
	p=${run%@*} edus=1
	[ "$p" = "$run" ] || edus=${run#*@}
	log=$top/build/vmtest/$p-$mode-demo.log
	LOG=$log EDU=$edus "$top/scripts/vmtest.sh" "$top/build/tests/iommu/$p" "$mode" || rc=1
	grep -E '^(ok|not ok|# )|liveupdate:|restored in' "$log" 2>/dev/null |
		grep -v '^# \[STAGE' | sed 's/^/    /' || true
done
exit "$rc"
