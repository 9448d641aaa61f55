#!/usr/bin/env bash
# The EFI system partition: GRUB (Debian's grub-efi-amd64-bin, one EFI program
# at the removable-media path) and its script, which picks slot A or B from the
# environment block (boot counting, as RAUC's GRUB back end keeps it) and loads
# that slot's kernel and initrd from its squashfs.
#   boot.sh ROOTFS OUT_IMG SIZE_MIB CONSOLE
set -euo pipefail
rootfs=$1 img=$2 mib=$3 console=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
grub-mkimage -O x86_64-efi -p /grub -o "$tmp/BOOTX64.EFI" \
	part_gpt fat ext2 squash4 normal linux configfile loadenv test echo \
	reboot halt cat ls minicmd efi_gop all_video gzio
sed "s|@CONSOLE@|$console|" "$(dirname "$0")/grub.cfg" >"$tmp/grub.cfg"
grub-editenv "$tmp/grubenv" create
grub-editenv "$tmp/grubenv" set ORDER="A B" A_OK=1 A_TRY=0 B_OK=0 B_TRY=0
mkfs.vfat -n BOOT -C "$img" $((mib * 1024)) >/dev/null
mmd -i "$img" ::/EFI ::/EFI/BOOT ::/grub
mcopy -i "$img" "$tmp/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$img" "$tmp/grub.cfg" "$tmp/grubenv" ::/grub/
