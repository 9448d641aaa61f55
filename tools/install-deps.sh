#!/usr/bin/env bash
# Installs every Debian package shopcast needs to build, run and test.
# Idempotent: packages already present are left alone, and apt is not touched
# at all when nothing is missing. Run as root (CI and the technician's build
# machine are root); otherwise it prints what is missing and exits 1.
set -euo pipefail

packages=(
	# build
	build-essential meson ninja-build pkg-config clang clang-format
	libglib2.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
	libavformat-dev libavcodec-dev libavutil-dev libsystemd-dev libcmocka-dev
	# run: GStreamer elements used by the board profiles and the program pipeline
	gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
	gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
	gstreamer1.0-alsa gstreamer1.0-vaapi
	# run: the local RTMP ingest of `make run` and of the tests; ffmpeg for `make bench`
	nginx-light libnginx-mod-rtmp ffmpeg
	# RTMPS: GIO's TLS backend and CA store; the tests' TLS front for the ingest
	glib-networking ca-certificates openssl libnginx-mod-stream
	# make fuzz: libFuzzer's runtime for clang; make valgrind: Memcheck
	libclang-rt-14-dev valgrind
	# tests: network namespaces and fault injection
	iproute2 nftables procps
	# graphics: cairo and pango lay out and draw the overlays; a CJK font for Chinese
	# text (the overlays, and the benchmark's ffmpeg peer)
	libcairo2-dev libpango1.0-dev fonts-noto-cjk fontconfig
	# studio hardware: GPIO buttons, tally and lights (libgpiod), the microphone (ALSA)
	libgpiod-dev libasound2-dev
	# the web panel and control API: HTTP and WebSocket server, JSON (also the
	# post-show report's), password hashing
	libsoup-3.0-dev libjson-glib-dev libcrypt-dev
	# the panel's browser tests: headless Chromium driven by playwright-core (npm)
	chromium nodejs
	# firmware images, flashing and updates: Debian root file systems (x86-64, and
	# arm64 through qemu-user, shopcast cross-compiled for arm64), partitions and
	# file systems, boot loaders, signed RAUC bundles, bmaps (shopcast-flash's
	# tests and its benchmark peers), and qemu for the system tests (x86-64 with
	# UEFI; the Raspberry Pi image on qemu's arm64 machine with U-Boot)
	mmdebstrap arch-test qemu-user-static binfmt-support gcc-aarch64-linux-gnu fdisk e2fsprogs dosfstools mtools
	squashfs-tools grub-efi-amd64-bin grub-common ovmf rauc openssl bmap-tools u-boot-tools
	qemu-system-x86 qemu-system-arm u-boot-qemu qemu-utils util-linux
)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done
# npm comes with some builds of nodejs; Debian's nodejs needs Debian's npm beside it
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#packages[@]} packages present"
elif [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: run as root (or: sudo $0) to install them" >&2
	exit 1
else
	echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
	# Debian's nginx package starts a system service on port 80; shopcast never uses
	# it (it runs its own nginx with its own prefix), so leave the system as it was.
	if [[ " ${missing[*]} " == *" nginx-light "* ]] && command -v systemctl >/dev/null 2>&1 &&
		systemctl is-enabled nginx >/dev/null 2>&1; then
		systemctl disable --now nginx >/dev/null 2>&1 || true
	fi
fi

# The browser tests' npm packages, at the versions in tests/browser/package-lock.json.
browser=$(dirname "$0")/../tests/browser
want=$(sed -n 's/.*"playwright-core": "\([0-9.]*\)".*/\1/p' "$browser/package.json")
have=$(sed -n 's/.*"version": "\([0-9.]*\)".*/\1/p' "$browser/node_modules/playwright-core/package.json" 2>/dev/null || true)
if [ "$have" != "$want" ]; then
	echo "install-deps: installing playwright-core $want for the browser tests (npm)"
	(cd "$browser" && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "install-deps: done"
