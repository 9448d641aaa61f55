#!/usr/bin/env bash
# The disk: partition table, then boot.img, rootfs.img (slot A; slot B stays
# empty until the first update) and data.img written at their partitions.
#   assemble.sh WORK_DIR gpt|dos BOOT_MIB ROOTFS_MIB DATA_MIB [DISK_ID]
# DISK_ID: the MBR's disk identifier (8 hex digits), which partitions are named
# by (PARTUUID DISK_ID-0N); random when not given.
set -euo pipefail
work=$1 table=$2 boot=$3 rootfs=$4 data=$5 disk_id=${6:-}
disk="$work/disk.img"
rm -f "$disk"
truncate -s $((1 + boot + 2 * rootfs + data + 1))M "$disk"
mib=2048 # sectors
a=$((1 + boot)) b=$((1 + boot + rootfs)) d=$((1 + boot + 2 * rootfs))
if [ "$table" = gpt ]; then
	sfdisk -q "$disk" <<LAYOUT
label: gpt
start=$mib, size=$((boot * mib)), type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="boot"
start=$((a * mib)), size=$((rootfs * mib)), type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name="rootfs-a"
start=$((b * mib)), size=$((rootfs * mib)), type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name="rootfs-b"
start=$((d * mib)), size=$((data * mib)), type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="data"
LAYOUT
else
	sfdisk -q "$disk" <<LAYOUT
label: dos
${disk_id:+label-id: 0x$disk_id}
start=$mib, size=$((boot * mib)), type=c, bootable
start=$((a * mib)), size=$((rootfs * mib)), type=83
start=$((b * mib)), size=$((rootfs * mib)), type=83
start=$((d * mib)), size=$((data * mib)), type=83
LAYOUT
fi
put() { dd if="$1" of="$disk" bs=1M seek="$2" conv=notrunc,sparse status=none; }
put "$work/boot.img" 1
put "$work/rootfs.img" "$a"
put "$work/data.img" "$d"
