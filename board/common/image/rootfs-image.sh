#!/usr/bin/env bash
# One slot's file system from a root directory: what the image's slot A holds
# and what an update bundle carries.
#
#   rootfs-image.sh squashfs|ext4 ROOT_DIR OUT_IMG
#
# squashfs with gzip, the compression GRUB's squash4 reads (it has no zstd);
# ext4 without a journal (mounted read-only; U-Boot reads the kernel from it),
# sized to what it holds. SQUASHFS_LEVEL (1-9, default 9) trades size for
# time.
set -euo pipefail
fs=${1:?usage: rootfs-image.sh squashfs|ext4 ROOT_DIR OUT_IMG}
root=${2:?usage: rootfs-image.sh squashfs|ext4 ROOT_DIR OUT_IMG}
out=${3:?usage: rootfs-image.sh squashfs|ext4 ROOT_DIR OUT_IMG}
rm -f "$out"
case "$fs" in
squashfs)
	mksquashfs "$root" "$out" -comp gzip -Xcompression-level "${SQUASHFS_LEVEL:-9}" -noappend -quiet \
		-processors "$(nproc)" >/dev/null ;;
ext4)
	used=$(du -sm "$root" | cut -f1)
	mkfs.ext4 -q -L rootfs -d "$root" -O ^has_journal,^metadata_csum_seed -m 0 \
		"$out" "$((used + used / 8 + 64))M" ;;
*)
	echo "rootfs-image: no file system '$fs' for a slot (squashfs or ext4)" >&2
	exit 64 ;;
esac
