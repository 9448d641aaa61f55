#!/usr/bin/env bash
# make bundle BOARD=...: a signed RAUC update bundle of the last image build's
# root file system (run `make image` first).
#
#   board/common/image/bundle.sh BOARD OUT_DIR [ROOTFS_IMG [BUNDLE]]
#
# Signed with the development keys in OUT_DIR/keys unless RAUC_KEY and
# RAUC_CERT name production ones (README.md, "Images and updates"); the
# bundle's verity format lets the box check each block as it installs.
set -euo pipefail
board=${1:?usage: bundle.sh BOARD OUT_DIR [ROOTFS_IMG [BUNDLE]]}
out=$(cd "${2:?usage: bundle.sh BOARD OUT_DIR}" && pwd)
work="$out/$board"
rootfs=${3:-$work/rootfs.img}
version=$(cat "$work/version" 2>/dev/null) || { echo "bundle: no image built for $board yet (make image BOARD=$board)" >&2; exit 66; }
bundle=${4:-$work/shopcast-$board-$version.raucb}
key=${RAUC_KEY:-$out/keys/signing.key.pem}
cert=${RAUC_CERT:-$out/keys/signing.cert.pem}
keyring=${RAUC_KEYRING:-$out/keys/ca.cert.pem}
for f in "$rootfs" "$key" "$cert"; do
	[ -f "$f" ] || { echo "bundle: $f does not exist" >&2; exit 66; }
done
start=$(date +%s)
content=$(mktemp -d)
trap 'rm -rf "$content"' EXIT
ln "$rootfs" "$content/rootfs.img" 2>/dev/null || cp "$rootfs" "$content/rootfs.img"
cat >"$content/manifest.raucm" <<MANIFEST
[update]
compatible=shopcast-$board
version=$version
description=shopcast firmware $version for $board

[bundle]
format=verity

[image.rootfs]
filename=rootfs.img
MANIFEST
rm -f "$bundle"
rauc --cert "$cert" --key "$key" --keyring "$keyring" bundle "$content" "$bundle" >/dev/null
printf 'bundle %s: %s: %d MiB, version %s; made in %d s\n' "$board" "$bundle" \
	$(($(stat -c %s "$bundle") / 1048576)) "$version" $(($(date +%s) - start))
