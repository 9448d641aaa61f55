#!/usr/bin/env bash
# shopcast for another architecture (arm64): cross-compiled in a build root of
# Debian 12 packages (amd64 with the target's libraries as a foreign
# architecture, Debian's cross compiler), cached; installed into STAGE.
#   build-foreign.sh TOP CACHE ARCH STAGE
set -euo pipefail
top=$1 cache=$2 arch=$3 stage=$4
case "$arch" in
arm64) triplet=aarch64-linux-gnu cpu=aarch64 ;;
*) echo "image: no cross build for $arch" >&2; exit 64 ;;
esac
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# what meson.build needs, for the target
libs=(libglib2.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libavformat-dev
	libavcodec-dev libavutil-dev libsystemd-dev libcairo2-dev libpango1.0-dev libgpiod-dev
	libasound2-dev libsoup-3.0-dev libjson-glib-dev libcrypt-dev)
tools=(build-essential "crossbuild-essential-$arch" meson ninja-build pkgconf libglib2.0-dev-bin git)
include=$(printf '%s,' "${tools[@]}" "${libs[@]/%/:$arch}")
key=$(echo "$include $(sha256sum "$0")" | sha256sum | cut -c1-16)
root="$cache/buildroot-$arch-$key"
if [ ! -d "$root" ]; then
	rm -rf "$cache"/buildroot-"$arch"-*
	mkdir -p "$cache/apt-build-$arch"
	mmdebstrap --variant=apt --architectures="amd64,$arch" --include="$include" \
		--skip=download/empty \
		--setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
		--setup-hook="sync-in $cache/apt-build-$arch /var/cache/apt/archives/" \
		--customize-hook="sync-out /var/cache/apt/archives $cache/apt-build-$arch" \
		bookworm "$root.part" "deb $mirror bookworm main"
	mv "$root.part" "$root"
fi
cat >"$root/cross.ini" <<CROSS
[binaries]
c = '$triplet-gcc'
cpp = '$triplet-g++'
ar = '$triplet-ar'
strip = '$triplet-strip'
pkg-config = 'pkg-config'

[properties]
pkg_config_libdir = ['/usr/lib/$triplet/pkgconfig', '/usr/share/pkgconfig']

[host_machine]
system = 'linux'
cpu_family = '$cpu'
cpu = '$cpu'
endian = 'little'
CROSS
# the sources as committed plus what is changed in the work tree
rm -rf "$root/src" "$root/stage"
mkdir -p "$root/src"
(cd "$top" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) | tar -xf - -C "$root/src"
[ -f "$root/build/build.ninja" ] ||
	chroot "$root" meson setup /build /src --cross-file /cross.ini --prefix=/usr --sysconfdir=/etc \
		--buildtype=release >/dev/null
chroot "$root" ninja -C /build firmware/shopcastd tools/shopcastctl tools/shopcast-probe \
	tools/shopcast-flash >/dev/null
chroot "$root" env DESTDIR=/stage meson install -C /build --no-rebuild --quiet >/dev/null
mkdir -p "$stage"
cp -a "$root/stage/." "$stage/"
