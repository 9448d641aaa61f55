#!/usr/bin/env bash
# make test-system: the x86-64 firmware image booted in qemu (software
# emulation) with real kernel drivers: the vivid camera and the snd-aloop
# sound card give shopcastd a real V4L2 and ALSA device.
#
#   tests/system/run.sh BUILD_DIR [x86-64|rpi4]
#
#  1. builds the image when its sources are newer (board/common/image/build.sh),
#     and two bundles signed with the image's keys: an update (the same system,
#     a new build) and a broken one (a system without GStreamer's x264 plugin,
#     so shopcastd cannot build its pipeline and never becomes healthy);
#  2. boots a copy of the disk, with a data partition that loads vivid and
#     snd-aloop and streams to an nginx RTMP ingest on this machine (the guest
#     reaches 127.0.0.1 as 10.0.2.2); the technician's password is set through
#     the panel (a forwarded port) as on a new box; the stream is checked with
#     shopcast-probe; prints the boot-to-live time;
#  3. `shopcastctl update` is refused while live, then installs the update:
#     the box restarts into slot B, goes live again and marks B good;
#  4. installs the broken bundle into slot A: the box restarts into it, the
#     boot deadline marks it bad and the box goes back to slot B by itself;
#  5. installs the update into slot A again and cuts the power while RAUC
#     writes the slot: the box must come back live on slot B.
#
# With rpi4 (make test-system BOARD=rpi4): the Raspberry Pi image on qemu's
# arm64 "virt" machine, started by Debian's U-Boot for qemu, which runs the
# image's own A/B boot script from the boot partition (it keeps the choice in
# shopcast.env there, which RAUC's U-Boot back end writes with fw_setenv);
# every step, with ext4 slots.
#
# Root. Every wait is bounded. Exit 0 passed, 1 failed, 77 skipped (with the
# reason; only when this machine lacks what the test needs).
set -euo pipefail

build=$(cd "${1:?usage: run.sh BUILD_DIR [x86-64|rpi4]}" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
board=${2:-x86-64}
images="$build/image"
img="$images/$board"
work="$build/system-test"
[ "$board" = x86-64 ] || work+="-$board"
bundles="$build/system-test-bundles"
[ "$board" = x86-64 ] || bundles+="-$board"
start=$(date +%s)

say() { printf 'system-test: %s (%d s)\n' "$*" $(($(date +%s) - start)); }
skip() { echo "system-test: SKIP: $*"; exit 77; }
fail() {
	echo "system-test: FAIL: $*" >&2
	if [ -f "$work/serial.log" ]; then
		echo "--- the guest's console, last 60 lines ($work/serial.log):" >&2
		tail -60 "$work/serial.log" | sed 's/\x1b\[[0-9;]*m//g' >&2
	fi
	exit 1
}

[ "$(id -u)" -eq 0 ] || skip "needs root (image build, mkfs, the loop of qemu)"
case "$board" in
x86-64)
	qemu=qemu-system-x86_64 firmware=/usr/share/OVMF/OVMF_CODE_4M.fd
	ovmf_vars=/usr/share/OVMF/OVMF_VARS_4M.fd
	tools=(mksquashfs grub-editenv) ;;
rpi4)
	qemu=qemu-system-aarch64 firmware=/usr/lib/u-boot/qemu_arm64/u-boot.bin
	tools=(mkimage) ;;
*) fail "no system test for board '$board' (x86-64 or rpi4)" ;;
esac
for tool in "$qemu" "${tools[@]}" mkfs.ext4 mcopy partx rauc nginx; do
	command -v "$tool" >/dev/null || fail "$tool is missing: run tools/install-deps.sh"
done
[ -f "$firmware" ] || fail "$firmware is missing: run tools/install-deps.sh"
"$qemu" -accel help 2>/dev/null | grep -qx tcg || skip "this qemu has no TCG"

# ---- the image, rebuilt when its sources changed ------------------------------
newer=""
[ ! -f "$img/disk.img" ] ||
	newer=$(cd "$top" && find firmware pipeline overlays drivers board tools meson.build -type f \
		-newer "$img/disk.img" -print -quit)
if [ ! -f "$img/disk.img" ] || [ -n "$newer" ]; then
	say "building the image${newer:+ ($newer changed)}"
	"$top/board/common/image/build.sh" "$board" "$images" || fail "the image did not build"
fi
# shellcheck source=/dev/null
. "$top/board/$board/image/image.conf"
version=$(cat "$img/version")

# ---- the bundles (cached per image build) ------------------------------------
# a copy of the image's root file system (hard links; changed files replaced)
variant() {
	local name=$1
	local root="$bundles/$name-root"
	rm -rf "$root"
	cp -al "$img/rootfs" "$root"
	rm -f "$root/etc/shopcast-release"
	sed "s/^SHOPCAST_BUILD=.*/&-$name/" "$img/rootfs/etc/shopcast-release" >"$root/etc/shopcast-release"
	echo "$root"
}
make_bundle() {
	local name=$1 root=$2
	SQUASHFS_LEVEL=1 "$top/board/common/image/rootfs-image.sh" "$ROOTFS_FS" "$root" "$bundles/$name.img"
	rm -rf "$root"
	"$top/board/common/image/bundle.sh" "$board" "$images" "$bundles/$name.img" \
		"$bundles/$name.raucb" >/dev/null
	rm -f "$bundles/$name.img"
}
if [ "$(cat "$bundles/version" 2>/dev/null)" != "$version" ]; then
	say "making the update and the broken bundle"
	rm -rf "$bundles"
	mkdir -p "$bundles"
	make_bundle update "$(variant update)"
	root=$(variant broken)
	# no H.264 encoder on this board (no VA-API here, and x264 gone): shopcastd
	# cannot build its pipeline and keeps failing
	find "$root/usr/lib" -name libgstx264.so -delete
	make_bundle broken "$root"
	echo "$version" >"$bundles/version"
fi
update_build=$(sed -n 's/^SHOPCAST_BUILD=//p' "$img/rootfs/etc/shopcast-release")-update
[ -f "$bundles/update.raucb" ] && [ -f "$bundles/broken.raucb" ] || fail "the bundles were not made"

# ---- ports ---------------------------------------------------------------------
free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 20000))
		ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
	fail "no free port"
}
ingest_port=$(free_port)
panel_port=$(free_port)
key=system-test-$$

# ---- the disk: a copy, with the test's data partition and kernel arguments ----
say "preparing the disk (ingest on 127.0.0.1:$ingest_port, panel on 127.0.0.1:$panel_port)"
rm -rf "$work"
mkdir -p "$work"
cp --sparse=always "$img/disk.img" "$work/disk.img"
offset() { partx -g -o START -n "$1" "$work/disk.img" | tr -d ' '; } # in sectors
data="$work/data"
cp -a "$img/data" "$data"
cat >"$data/config/modules" <<'MODULES'
# the system test's camera and sound card
vivid n_devs=1 node_types=0x1 input_types=0x0
snd-aloop
MODULES
echo "SHOPCAST_BOOT_DEADLINE=120" >"$data/config/boot.env"
cat >"$data/config/shopcast.ini" <<CONF
# written by tests/system/run.sh
[box]
board = $board
start = live
control-socket = /run/shopcast/control
audit-log = /data/audit/audit.jsonl
update-dir = /data/update
system-dir = /data/system

[video]
width = 640
height = 360
framerate = 15
bitrate = 500
x264-preset = ultrafast

[audio]
device = Loopback

[destination ingest]
platform = the test's nginx
url = rtmp://10.0.2.2:$ingest_port/live
key = $key

[panel]
listen = 0.0.0.0:8080
passwords = /data/config/panel-passwords
CONF
mkfs.ext4 -q -L data -d "$data" "$work/data.img" "${DATA_MIB}M"
dd if="$work/data.img" of="$work/disk.img" bs=512 seek="$(offset 4)" conv=notrunc,sparse status=none
rm -f "$work/data.img"
# the journal on the serial console: extra kernel arguments where the boot
# loader reads them
cmdline="systemd.journald.forward_to_console=1 systemd.show_status=false"
if [ "$board" = x86-64 ]; then
	grub-editenv "$work/extra.env" create
	grub-editenv "$work/extra.env" set EXTRA_CMDLINE="$cmdline"
	mcopy -o -i "$work/disk.img@@$(($(offset 1) * 512))" "$work/extra.env" ::/grub/extra.env
else
	# qemu's serial port is a PL011 (the Pi's console is its mini UART)
	echo "EXTRA_CMDLINE=console=ttyAMA0,115200 $cmdline" >"$work/extra.txt"
	mcopy -o -i "$work/disk.img@@$(($(offset 1) * 512))" "$work/extra.txt" ::/extra.txt
fi

# ---- the ingest and the box -----------------------------------------------------
ingest_pid="" power_pid=""
cleanup() {
	[ -z "$power_pid" ] || power_cut
	[ -z "$ingest_pid" ] || { kill "$ingest_pid" 2>/dev/null || true; wait "$ingest_pid" 2>/dev/null || true; }
}
trap cleanup EXIT
"$top/tools/shopcast-ingest" --dir "$work/ingest" --port "$ingest_port" >"$work/ingest.log" 2>&1 &
ingest_pid=$!

if [ "$board" = x86-64 ]; then
	cp "$ovmf_vars" "$work/vars.fd"
	machine=(-machine q35 -drive if=pflash,format=raw,readonly=on,file="$firmware"
		-drive if=pflash,format=raw,file="$work/vars.fd"
		-drive file="$work/disk.img",if=virtio,format=raw,cache=writeback)
else
	machine=(-machine virt -cpu cortex-a72 -bios "$firmware"
		-drive file="$work/disk.img",if=none,id=disk0,format=raw,cache=writeback
		-device virtio-blk-pci,drive=disk0)
fi
# Powers the box on (the serial console appends to serial.log across boots).
# Every restart of the box is a cold start of the machine: qemu runs with
# -no-reboot, exits when the guest resets it, and is started again here (warm
# resets of the emulated machine hung in early boot, right after the boot
# loader, in two of some twenty reboots; a box's own reboot resets the whole
# platform either way). A guest that powers off is not started again.
power_on() {
	(
		for _ in $(seq 1 20); do
			"$qemu" "${machine[@]}" -accel tcg -m 2048 -smp 2 -no-reboot \
				-netdev user,id=net0,hostfwd=tcp:127.0.0.1:"$panel_port"-:8080 \
				-device virtio-net-pci,netdev=net0 \
				-chardev file,id=serial0,path="$work/serial.log",append=on -serial chardev:serial0 \
				-display none -monitor none >>"$work/qemu.log" 2>&1 &
			echo $! >"$work/qemu.pid"
			wait $! || exit 1
			! tail -n 5 "$work/serial.log" | grep -aq "reboot: Power down" || exit 1
			echo "system-test: the guest restarted; qemu starts it again" >>"$work/qemu.log"
		done
		exit 1
	) &
	power_pid=$!
}
# Cuts the power: qemu killed outright (and the loop that restarts it), with
# what the guest had not yet written to its disk lost (cache=writeback keeps it
# in qemu).
power_cut() {
	kill -KILL "$power_pid" 2>/dev/null || true
	kill -KILL "$(cat "$work/qemu.pid")" 2>/dev/null || true
	wait "$power_pid" 2>/dev/null || true
	power_pid=""
}
boot_start=$(date +%s)
power_on

ctl() { SHOPCAST_PASSWORD=$password "$build/tools/shopcastctl" --url "http://127.0.0.1:$panel_port" "$@"; }
# an update: the upload, then RAUC's progress until it is installed
ctl_update() { SHOPCAST_PASSWORD=$password timeout 1200 "$build/tools/shopcastctl" --url "http://127.0.0.1:$panel_port" update "$@"; }
password=system-test-technician-$$
alive() { kill -0 "$power_pid" 2>/dev/null || fail "qemu ended; see $work/qemu.log"; }

# Waits up to $1 s for a command to succeed.
wait_for() {
	local limit=$1 what=$2
	shift 2
	local end=$(($(date +%s) + limit))
	while [ "$(date +%s)" -lt "$end" ]; do
		alive
		"$@" >/dev/null 2>&1 && return 0
		sleep 2
	done
	fail "$what: not within $limit s"
}
panel_up() { curl -sf -m 3 "http://127.0.0.1:$panel_port/api/v1/setup" >/dev/null; }
panel_down() { ! curl -s -m 3 -o /dev/null "http://127.0.0.1:$panel_port/api/v1/setup"; }
is_live() { ctl status | grep -q '"state":"live"'; }
firmware() { ctl firmware; }
on_slot() { firmware | grep -q "\"slot\":\"$1\"" && firmware | grep -q "\"version\":\"[^\"]*+$2\""; }

say "booting the image in qemu (TCG)"
wait_for 600 "the panel answers" panel_up
say "panel up $(($(date +%s) - boot_start)) s after power-on; setting the technician's password"
echo "$password" | ctl password technician >/dev/null || fail "the first start's password was refused"
wait_for 300 "the box goes live" is_live
boot_to_live=$(($(date +%s) - boot_start))
say "live $boot_to_live s after power-on"

# the stream the platform gets: from the vivid camera and the snd-aloop card
probe() {
	timeout 60 "$build/tools/shopcast-probe" --duration 5 --expect-width 640 --expect-height 360 \
		"rtmp://127.0.0.1:$ingest_port/live/$key" >"$work/probe-$1.json" ||
		fail "shopcast-probe found the stream wrong ($1): $(cat "$work/probe-$1.json")"
	grep -q '"codec": "h264"' "$work/probe-$1.json" && grep -q '"codec": "aac"' "$work/probe-$1.json" ||
		fail "the stream lacks H.264 video or AAC audio ($1): $(cat "$work/probe-$1.json")"
}
probe first-boot
firmware | grep -q '"slot":"A"' || fail "the first boot is not on slot A: $(firmware)"
say "the stream checks out (640x360 H.264 + AAC from /dev/video0 and the Loopback card: $(grep -o '"fps": [0-9.]*' "$work/probe-first-boot.json"))"
# The boot loader says which slot it boots (GRUB its menu entry, the Raspberry
# Pi's boot script a line of its own): the boots of A and of B so far must be
# $1 and $2.
booted() {
	if [ "$board" = rpi4 ]; then
		grep -ac "shopcast: booting slot $1" "$work/serial.log" || true
	else
		grep -ac "Booting \`shopcast slot $1 " "$work/serial.log" || true
	fi
}
expect_boots() {
	[ "$(booted A)" -eq "$1" ] && [ "$(booted B)" -eq "$2" ] ||
		fail "$3: the boot script chose A $(booted A) and B $(booted B) times ($1 and $2 expected)"
}
expect_boots 1 0 "first boot"
if [ "$board" = rpi4 ]; then
	wait_for 120 "slot A marked good" grep -aq "slot rootfs.0 marked good" "$work/serial.log"
	say "slot A marked good (RAUC's U-Boot back end, shopcast.env on the boot partition)"
fi

# ---- an update: refused while live, then installed; the box restarts into B -----
out=$(ctl update "$bundles/update.raucb" 2>&1) && fail "an update was accepted while live"
grep -q "the box is live" <<<"$out" || fail "refused while live, but not saying so: $out"
ctl live off >/dev/null || fail "live off failed"
update_start=$(date +%s)
say "installing the update (shopcastctl update over the panel's port)"
ctl_update "$bundles/update.raucb" >"$work/update.log" 2>&1 ||
	{ cat "$work/update.log" >&2; fail "the update was not installed"; }
say "installed; waiting for the box to restart into slot B"
wait_for 120 "the box restarts" panel_down
wait_for 600 "the panel answers after the update" panel_up
wait_for 300 "the box on slot B with the update" on_slot B "$update_build"
wait_for 300 "the box goes live after the update" is_live
update_s=$(($(date +%s) - update_start))
probe after-update
wait_for 120 "slot B marked good" grep -aq "slot rootfs.1 marked good" "$work/serial.log"
say "slot B runs the update and is marked good ($update_s s from upload to live)"
expect_boots 1 1 "after the update"

# ---- a broken update: slot A never becomes healthy; the box returns to B -------
ctl live off >/dev/null || fail "live off failed"
rollback_start=$(date +%s)
say "installing the broken bundle"
ctl_update "$bundles/broken.raucb" >"$work/broken.log" 2>&1 ||
	{ cat "$work/broken.log" >&2; fail "the broken bundle was not installed"; }
wait_for 120 "the box restarts into the broken slot" panel_down
wait_for 900 "the boot deadline marks slot A bad" \
	grep -aq "slot A did not become healthy" "$work/serial.log"
wait_for 600 "the box back on slot B" on_slot B "$update_build"
wait_for 300 "the box goes live again on slot B" is_live
rollback_s=$(($(date +%s) - rollback_start))
probe after-rollback
say "rolled back to slot B by itself ($rollback_s s from upload to live again)"
expect_boots 2 2 "after the rollback"

# ---- a power cut while RAUC writes slot A: the box comes back on slot B -------
ctl live off >/dev/null || fail "live off failed"
say "installing the update again, and cutting the power while RAUC writes the slot"
ctl_update "$bundles/update.raucb" >"$work/powercut.log" 2>&1 &
update_pid=$!
writing() { grep -aqE "Copying image|Updating slots|installing: (8[0-9]|9[0-9])%" "$work/powercut.log"; }
wait_for 900 "RAUC writing the slot" writing
sleep 5
power_cut
wait "$update_pid" 2>/dev/null || true
say "power cut during: $(grep -a "installing:" "$work/powercut.log" | tail -n 1)"
powercut_start=$(date +%s)
power_on
wait_for 600 "the panel answers after the power cut" panel_up
wait_for 300 "the box on slot B after the power cut" on_slot B "$update_build"
wait_for 300 "the box goes live after the power cut" is_live
powercut_s=$(($(date +%s) - powercut_start))
probe after-power-cut
say "back live on slot B $powercut_s s after the power came back"
expect_boots 2 3 "after the power cut"

printf 'system-test: boot-to-live %d s; update to live %d s; broken update to live again %d s; power cut to live %d s; total %d s\n' \
	"$boot_to_live" "$update_s" "$rollback_s" "$powercut_s" $(($(date +%s) - start))
echo "system-test: 1 passed, 0 failed"
