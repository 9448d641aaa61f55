#!/usr/bin/env bash
# The Raspberry Pi boot partition (FAT): Debian's Pi firmware (raspi-firmware),
# the Pi 4's device trees from the image's kernel, U-Boot (u-boot-rpi,
# rpi_arm64) and its boot script, which picks slot A or B from shopcast.env
# here (U-Boot's environment format, also read and written by RAUC through
# fw_setenv, see fw_env.config in the root file system).
#   boot.sh ROOTFS OUT_IMG SIZE_MIB CONSOLE DISK_ID
set -euo pipefail
rootfs=$1 img=$2 mib=$3 console=$4 disk_id=$5
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
kver=$(basename "$(ls -d "$rootfs"/usr/lib/modules/* | sort -V | tail -1)")
mkdir -p "$tmp/boot"
cp "$rootfs"/usr/lib/raspi-firmware/{bootcode.bin,start4.elf,fixup4.dat,start4cd.elf,fixup4cd.dat} \
	"$tmp/boot/" 2>/dev/null || cp "$rootfs"/usr/lib/raspi-firmware/*4* "$tmp/boot/"
# every BCM2711 board's device tree (Pi 4 B, Pi 400, the CM4 on its I/O board)
cp "$rootfs/usr/lib/linux-image-$kver"/broadcom/bcm2711-*.dtb "$tmp/boot/"
cp "$rootfs/usr/lib/u-boot/rpi_arm64/u-boot.bin" "$tmp/boot/u-boot.bin"
cp "$here/config.txt" "$tmp/boot/config.txt"
sed "s|@CONSOLE@|$console|; s|@DISK_ID@|$disk_id|" "$here/boot.cmd" >"$tmp/boot.cmd"
mkimage -A arm64 -T script -C none -n "shopcast A/B" -d "$tmp/boot.cmd" "$tmp/boot/boot.scr" >/dev/null
# the slot choice, in U-Boot's checksummed environment format (boot.cmd reads
# and writes it; no uboot.env: U-Boot's own environment stays its default)
printf 'BOOT_ORDER=A B\nBOOT_A_LEFT=3\nBOOT_B_LEFT=3\n' >"$tmp/env.txt"
mkenvimage -s 0x4000 -o "$tmp/boot/shopcast.env" "$tmp/env.txt"
mkfs.vfat -n BOOT -C "$img" $((mib * 1024)) >/dev/null
mcopy -s -i "$img" "$tmp/boot/"* ::/
