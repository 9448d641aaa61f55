#!/usr/bin/env bash
# Makes the unpacked root file system a shopcast box: mounts (read-only root,
# the data partition, the boot partition), RAUC's slots and keyring, shopcastd
# and the boot deadline enabled, and a check that every program finds its
# libraries.
#   configure-rootfs.sh ROOTFS BOARD IMAGE_CONF KEYRING
set -euo pipefail
rootfs=$1 board=$2 keyring=$4
# shellcheck source=/dev/null
. "$3"

cat >"$rootfs/etc/fstab" <<FSTAB
# The root file system is read-only (slot A or B); /var is a tmpfs
# (systemd.volatile=state); what must last lives on the data partition.
$DATA_DEVICE	/data	ext4	defaults,noatime,nodev,nosuid	0	2
$BOOT_DEVICE	$BOOT_MOUNT	vfat	defaults,noatime,umask=0077	0	2
tmpfs	/tmp	tmpfs	nodev,nosuid,mode=1777	0	0
FSTAB
mkdir -p "$rootfs/data" "$rootfs$BOOT_MOUNT" "$rootfs/etc/rauc"

if [ "$RAUC_BOOTLOADER" = grub ]; then
	bootloader="bootloader=grub
grubenv=$BOOT_MOUNT/grub/grubenv"
else
	bootloader="bootloader=uboot"
fi
cat >"$rootfs/etc/rauc/system.conf" <<CONF
# RAUC: two root file system slots, A and B; the boot loader picks one from
# its environment and tries a new one once (see README.md, "Images and updates").
[system]
compatible=shopcast-$board
$bootloader
data-directory=/data/rauc
bundle-formats=-plain

[keyring]
path=/etc/rauc/keyring.pem

[slot.rootfs.0]
device=$SLOT_A_DEVICE
type=raw
bootname=A

[slot.rootfs.1]
device=$SLOT_B_DEVICE
type=raw
bootname=B
CONF
cp "$keyring" "$rootfs/etc/rauc/keyring.pem"

# the default name; a name set from the panel is applied from /data/system
# (shopcast-system.service), the root file system being read-only
echo shopcast >"$rootfs/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tshopcast\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
	>"$rootfs/etc/hosts"
: >"$rootfs/etc/machine-id"
ln -sfn /data/config "$rootfs/etc/shopcast"
ln -sfn ../run/systemd/resolve/stub-resolv.conf "$rootfs/etc/resolv.conf"
# the kernel and initrd at fixed names, for the boot loader
kver=$(basename "$(ls -d "$rootfs"/usr/lib/modules/* | sort -V | tail -1)")
ln -sfn "vmlinuz-$kver" "$rootfs/boot/vmlinuz"
ln -sfn "initrd.img-$kver" "$rootfs/boot/initrd.img"

systemctl --root="$rootfs" enable shopcastd.service shopcast-boot-deadline.service shopcast-modules.service \
	shopcast-system.service shopcast-system.path \
	systemd-networkd.service systemd-resolved.service systemd-timesyncd.service >/dev/null 2>&1
systemctl --root="$rootfs" mask apt-daily.timer apt-daily-upgrade.timer e2scrub_reap.service \
	>/dev/null 2>&1 || true

# GStreamer's plugin registry, made once here (shopcastd.service points at it)
mkdir -p "$rootfs/usr/lib/shopcast"
chroot "$rootfs" env GST_REGISTRY=/usr/lib/shopcast/gstreamer-registry.bin \
	gst-inspect-1.0 coreelements >/dev/null 2>&1
[ -s "$rootfs/usr/lib/shopcast/gstreamer-registry.bin" ] ||
	{ echo "image: the GStreamer registry could not be made in the image" >&2; exit 1; }

# every program shopcast installs finds its libraries in the image
missing=$(for p in /usr/sbin/shopcastd /usr/bin/shopcastctl /usr/bin/shopcast-probe /usr/bin/shopcast-flash; do
	[ -x "$rootfs$p" ] || { echo "$p: not installed"; continue; }
	chroot "$rootfs" ldd "$p" | grep 'not found' | sed "s|^|$p: |" || true
done)
[ -z "$missing" ] || { echo "image: libraries missing in the image:" >&2; echo "$missing" >&2; exit 1; }
