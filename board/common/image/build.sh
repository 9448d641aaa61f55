#!/usr/bin/env bash
# make image BOARD=x86-64|rpi4: a shopcast disk image from Debian 12 packages.
#
#   board/common/image/build.sh BOARD OUT_DIR
#
# Root file system from Debian with mmdebstrap (arm64 through qemu-user), the
# shopcast build installed into it (cross-compiled for arm64, see cross.sh),
# read-only (squashfs or ext4), twice on the disk (RAUC slots A and B), with a
# boot partition and a data partition:
#
#   OUT_DIR/BOARD/disk.img        the disk, to flash with shopcast-flash
#   OUT_DIR/BOARD/disk.img.bmap   its block map
#   OUT_DIR/BOARD/rootfs.img      one slot's file system (what a bundle carries)
#   OUT_DIR/keys/                 development signing keys, made on first use
#
# Cached in OUT_DIR/cache: the downloaded .debs and the base root file system
# (rebuilt when the package lists or this script change), the shopcast build.
# Production keys: see README.md, "Images and updates". Runs as root.
set -euo pipefail

board=${1:?usage: build.sh BOARD OUT_DIR}
out=${2:?usage: build.sh BOARD OUT_DIR}
top=$(cd "$(dirname "$0")/../../.." && pwd)
here="$top/board/common/image"
conf="$top/board/$board/image/image.conf"
[ -f "$conf" ] || { echo "image: no image recipe for board '$board' ($conf)" >&2; exit 64; }
[ "$(id -u)" -eq 0 ] || { echo "image: run as root (mmdebstrap, device nodes, file ownership)" >&2; exit 77; }
# shellcheck source=/dev/null
. "$conf"
mkdir -p "$out"
out=$(cd "$out" && pwd)
work="$out/$board"
cache="$out/cache"
mkdir -p "$work" "$cache/apt-$DEB_ARCH"
start=$(date +%s)
step() { printf 'image %s: %s (%d s)\n' "$board" "$*" $(($(date +%s) - start)); }

mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
mapfile -t common < <(grep -v '^#' "$here/packages" | tr ' ' '\n' | grep .)
include=$(printf '%s,' "${common[@]}" "${PACKAGES[@]}")

# ---- keys: development keys unless production ones are given -----------------
keys="$out/keys"
if [ -z "${RAUC_KEYRING:-}" ]; then
	"$here/dev-keys.sh" "$keys"
	RAUC_KEYRING="$keys/ca.cert.pem"
fi
[ -f "$RAUC_KEYRING" ] || { echo "image: RAUC_KEYRING $RAUC_KEYRING does not exist" >&2; exit 66; }

# ---- arm64 on this machine: qemu-user through binfmt -------------------------
if [ "$DEB_ARCH" = arm64 ] && [ "$(dpkg --print-architecture)" != arm64 ]; then
	"$here/binfmt-arm64.sh"
fi

# ---- base root file system (cached) ------------------------------------------
# bump when the mmdebstrap command below changes
base_recipe=1
# what the base is made of: the architecture, the package lists, the recipe
key=$( (printf '%s\n' "$DEB_ARCH" "$COMPONENTS" "${PACKAGES[@]}" "$base_recipe"; cat "$here/packages") |
	sha256sum | cut -c1-16)
base="$cache/base-$board-$key.tar"
if [ ! -f "$base" ]; then
	step "base root file system from Debian 12 ($DEB_ARCH; mmdebstrap)"
	rm -f "$cache"/base-"$board"-*.tar
	mmdebstrap --format=tar --variant=minbase --architectures="$DEB_ARCH" --components="$COMPONENTS" \
		--include="$include" \
		--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-include=/usr/share/doc/*/copyright' \
		--dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/zh_CN/*' \
		--skip=download/empty \
		--setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
		--setup-hook="sync-in $cache/apt-$DEB_ARCH /var/cache/apt/archives/" \
		--customize-hook="sync-out /var/cache/apt/archives $cache/apt-$DEB_ARCH" \
		--customize-hook='printf "squashfs\noverlay\n" >> "$1/etc/initramfs-tools/modules"' \
		--customize-hook='chroot "$1" update-initramfs -u -k all' \
		bookworm "$base.part" \
		"deb $mirror bookworm ${COMPONENTS//,/ }" \
		"deb $mirror bookworm-updates ${COMPONENTS//,/ }" \
		"deb $security bookworm-security ${COMPONENTS//,/ }"
	mv "$base.part" "$base"
else
	step "base root file system from the cache ($(basename "$base"))"
fi

# ---- shopcast, built for the board --------------------------------------------
stage="$work/shopcast-root"
rm -rf "$stage"
setup=(--prefix=/usr --sysconfdir=/etc --buildtype=release)
if [ "$DEB_ARCH" = "$(dpkg --print-architecture)" ]; then
	sbuild="$cache/shopcast-$DEB_ARCH"
else
	step "sysroot for $DEB_ARCH and the cross compiler"
	cross=$("$here/cross.sh" "$cache" "$DEB_ARCH")
	setup+=(--cross-file "$cross")
	# a build per cross file: a new sysroot is a new build
	sbuild="$cache/shopcast-$(basename "$cross" .ini)"
	for old in "$cache"/shopcast-cross-"$DEB_ARCH"-*; do
		[ "$old" = "$sbuild" ] || rm -rf "$old"
	done
fi
step "shopcast build ($DEB_ARCH, release, prefix /usr)"
[ -f "$sbuild/build.ninja" ] || meson setup "$sbuild" "$top" "${setup[@]}" >/dev/null
# the installed programs only (the tests are not part of the image), as meson
# lists them: a program added to the project comes along by itself
mapfile -t installed < <(meson introspect "$sbuild" --targets | python3 -c '
import json, os, sys
for t in json.load(sys.stdin):
    if t.get("installed"):
        print(os.path.relpath(t["filename"][0], sys.argv[1]))' "$sbuild")
[ ${#installed[@]} -gt 0 ] || { echo "image: meson lists no installed program" >&2; exit 1; }
ninja -C "$sbuild" "${installed[@]}" >/dev/null
DESTDIR="$stage" meson install -C "$sbuild" --no-rebuild --quiet >/dev/null
# built for the board's processor
machine=$(readelf -h "$stage/usr/sbin/shopcastd" | sed -n 's/^ *Machine: *//p')
case "$DEB_ARCH:$machine" in
amd64:*X86-64* | arm64:AArch64) ;;
*) echo "image: shopcastd was built for '$machine', not $DEB_ARCH" >&2; exit 1 ;;
esac

# ---- the root file system ------------------------------------------------------
step "root file system"
rootfs="$work/rootfs"
rm -rf "$rootfs"
mkdir -p "$rootfs"
tar -xf "$base" -C "$rootfs"
cp -a "$stage/." "$rootfs/"
cp -a "$here/rootfs/." "$rootfs/"
[ ! -d "$top/board/$board/image/rootfs" ] || cp -a "$top/board/$board/image/rootfs/." "$rootfs/"
"$here/configure-rootfs.sh" "$rootfs" "$board" "$conf" "$RAUC_KEYRING"
version="$(sed -n "s/^project('shopcast'.*version : '\([^']*\)'.*/\1/p; s/^  version : '\([^']*\)',/\1/p" "$top/meson.build" | head -1)"
build_id="$(date -u +%Y%m%d%H%M%S)"
[ -z "${SHOPCAST_BUILD_ID:-}" ] || build_id=$SHOPCAST_BUILD_ID
printf 'SHOPCAST_VERSION=%s\nSHOPCAST_BUILD=%s\nSHOPCAST_BOARD=%s\n' "$version" "$build_id" "$board" \
	>"$rootfs/etc/shopcast-release"
echo "$version+$build_id" >"$work/version"

# ---- partitions ---------------------------------------------------------------
step "rootfs image ($ROOTFS_FS)"
"$here/rootfs-image.sh" "$ROOTFS_FS" "$rootfs" "$work/rootfs.img"
rsize=$(stat -c %s "$work/rootfs.img")
[ "$rsize" -le $((ROOTFS_MIB * 1048576)) ] ||
	{ echo "image: rootfs.img ($((rsize / 1048576)) MiB) is larger than a slot ($ROOTFS_MIB MiB)" >&2; exit 65; }

step "data partition"
data="$work/data"
rm -rf "$data" "$work/data.img"
cp -a "$here/data" "$data"
mkdir -p "$data/shows" "$data/recordings" "$data/audit" "$data/rauc"
sed -i "s/@BOARD@/$board/" "$data/config/shopcast.ini"
chmod 700 "$data/config"
mkfs.ext4 -q -L data -d "$data" "$work/data.img" "${DATA_MIB}M"

step "boot partition"
rm -f "$work/boot.img"
"$top/board/$board/image/boot.sh" "$rootfs" "$work/boot.img" "$BOOT_MIB" "$CONSOLE" "${DISK_ID:-}"

step "disk image ($PARTITION_TABLE)"
"$here/assemble.sh" "$work" "$PARTITION_TABLE" "$BOOT_MIB" "$ROOTFS_MIB" "$DATA_MIB" "${DISK_ID:-}"
bmaptool create -o "$work/disk.img.bmap" "$work/disk.img"

size=$(stat -c %s "$work/disk.img")
mapped=$(sed -n 's/.*<MappedBlocksCount> *\([0-9]*\).*/\1/p' "$work/disk.img.bmap")
bs=$(sed -n 's/.*<BlockSize> *\([0-9]*\).*/\1/p' "$work/disk.img.bmap")
printf 'image %s: %s: %d MiB (%d MiB of data), rootfs %d MiB, version %s; built in %d s\n' \
	"$board" "$work/disk.img" $((size / 1048576)) $((mapped * bs / 1048576)) \
	$((rsize / 1048576)) "$(cat "$work/version")" $(($(date +%s) - start))
