# shopcast on the Raspberry Pi 4: U-Boot picks rootfs A (partition 2) or B
# (partition 3) from its environment (uboot.env on this partition), as RAUC's
# U-Boot back end keeps it: BOOT_ORDER lists the slots, BOOT_x_LEFT the tries
# a slot has left. Each boot takes one try; rauc mark-good gives them back,
# mark-bad takes them all, and a slot with none left is skipped.
test -n "${BOOT_ORDER}" || setenv BOOT_ORDER "A B"
test -n "${BOOT_A_LEFT}" || setenv BOOT_A_LEFT 3
test -n "${BOOT_B_LEFT}" || setenv BOOT_B_LEFT 3

setenv slot
for s in ${BOOT_ORDER}; do
	if test "x${slot}" = "x"; then
		if test "x${s}" = "xA" && test ${BOOT_A_LEFT} -gt 0; then
			setexpr BOOT_A_LEFT ${BOOT_A_LEFT} - 1
			setenv slot A
			setenv part 2
		fi
		if test "x${s}" = "xB" && test ${BOOT_B_LEFT} -gt 0; then
			setexpr BOOT_B_LEFT ${BOOT_B_LEFT} - 1
			setenv slot B
			setenv part 3
		fi
	fi
done
if test "x${slot}" = "x"; then
	echo "shopcast: no slot has tries left: giving both another"
	setenv BOOT_A_LEFT 3
	setenv BOOT_B_LEFT 3
	saveenv
	reset
fi
saveenv

# the kernel is gzip-compressed (Debian's arm64 vmlinuz): booti unpacks it here
setenv kernel_comp_addr_r 0x0a000000
setenv kernel_comp_size 0x04000000
setenv bootargs "root=/dev/mmcblk0p${part} ro rootwait panic=10 systemd.volatile=state @CONSOLE@ rauc.slot=${slot}"
echo "shopcast: booting slot ${slot} (partition ${part})"
load mmc 0:${part} ${kernel_addr_r} /boot/vmlinuz
load mmc 0:${part} ${ramdisk_addr_r} /boot/initrd.img
booti ${kernel_addr_r} ${ramdisk_addr_r}:${filesize} ${fdt_addr}
