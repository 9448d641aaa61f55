#!/usr/bin/env bash
# A meson cross file for building shopcast for another architecture (arm64) on
# this machine: Debian's cross compiler (gcc-aarch64-linux-gnu) against a
# sysroot of the target's Debian 12 development packages, unpacked and never
# run (so packages that amd64 and arm64 cannot install side by side, such as
# gobject-introspection, are no obstacle). The sysroot is cached in CACHE and
# made again when this recipe changes. Prints the cross file's path.
#   cross.sh CACHE ARCH
set -euo pipefail
cache=$1 arch=$2
case "$arch" in
arm64) triplet=aarch64-linux-gnu cpu=aarch64 ;;
*) echo "image: no cross build for $arch" >&2; exit 64 ;;
esac
command -v "$triplet-gcc" >/dev/null ||
	{ echo "image: $triplet-gcc is missing; run tools/install-deps.sh" >&2; exit 69; }
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# what meson.build needs, for the target
libs=(libc6-dev libglib2.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libavformat-dev
	libavcodec-dev libavutil-dev libsystemd-dev libcairo2-dev libpango1.0-dev libgpiod-dev
	libasound2-dev libsoup-3.0-dev libjson-glib-dev libcrypt-dev)
include=$(printf '%s,' "${libs[@]}")
key=$( (echo "$include"; cat "$0") | sha256sum | cut -c1-16)
sysroot="$cache/sysroot-$arch-$key"
cross="$cache/cross-$arch-$key.ini"

if [ ! -d "$sysroot" ]; then
	rm -rf "$cache"/sysroot-"$arch"-* "$cache"/cross-"$arch"-*.ini
	mkdir -p "$cache/apt-$arch"
	# mmdebstrap's extract variant: the packages and what they depend on, unpacked
	mmdebstrap --variant=extract --architectures="$arch" --include="$include" \
		--skip=download/empty --skip=check/qemu \
		--setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
		--setup-hook="sync-in $cache/apt-$arch /var/cache/apt/archives/" \
		--customize-hook="sync-out /var/cache/apt/archives $cache/apt-$arch" \
		bookworm "$sysroot.part" "deb $mirror bookworm main" >&2
	# absolute symbolic links would lead the linker into this machine's /usr:
	# make them relative, inside the sysroot
	find "$sysroot.part" -type l -lname '/*' -print0 |
		while IFS= read -r -d '' link; do
			ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$sysroot.part$(readlink "$link")")" "$link"
		done
	mv "$sysroot.part" "$sysroot"
fi

cat >"$cross" <<CROSS
[constants]
sysroot = '$sysroot'

[binaries]
c = '$triplet-gcc'
ar = '$triplet-ar'
strip = '$triplet-strip'
pkgconfig = 'pkg-config'

[built-in options]
c_args = ['--sysroot=' + sysroot]
c_link_args = ['--sysroot=' + sysroot]

[properties]
sys_root = sysroot
pkg_config_libdir = [sysroot + '/usr/lib/$triplet/pkgconfig', sysroot + '/usr/share/pkgconfig']

[host_machine]
system = 'linux'
cpu_family = '$cpu'
cpu = '$cpu'
endian = 'little'
CROSS
echo "$cross"
