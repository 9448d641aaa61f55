# shopcast on the Raspberry Pi 4: U-Boot picks rootfs A (partition 2) or B
# (partition 3) as RAUC's U-Boot back end keeps the choice: BOOT_ORDER lists
# the slots, BOOT_x_LEFT the tries a slot has left. Each boot takes one try;
# rauc mark-good gives them back, mark-bad takes them all, and a slot with none
# left is skipped.
# The three variables live in shopcast.env on this partition (U-Boot's
# checksummed format, 16 KiB; RAUC reaches it with fw_setenv through
# /etc/fw_env.config). The script reads and writes that file itself and never
# uses saveenv: U-Boot's own environment keeps its defaults (an environment the
# Pi's U-Boot loads replaces them all, boot command included), and the choice
# works whatever the U-Boot build keeps its environment in.
# The disk this script was loaded from (U-Boot's boot scan sets devtype and
# devnum): the slots are on the same disk.
test -n "${devtype}" || setenv devtype mmc
test -n "${devnum}" || setenv devnum 0
setenv envfile shopcast.env
setenv envsize 0x4000
setenv BOOT_ORDER
setenv BOOT_A_LEFT
setenv BOOT_B_LEFT
if load ${devtype} ${devnum}:1 ${kernel_addr_r} ${envfile}; then
	env import -c ${kernel_addr_r} ${envsize} BOOT_ORDER BOOT_A_LEFT BOOT_B_LEFT || echo "shopcast: ${envfile} is damaged: both slots get their tries again"
fi
test -n "${BOOT_ORDER}" || setenv BOOT_ORDER "A B"
test -n "${BOOT_A_LEFT}" || setenv BOOT_A_LEFT 3
test -n "${BOOT_B_LEFT}" || setenv BOOT_B_LEFT 3
setenv shopcast_save "env export -c -s ${envsize} ${kernel_addr_r} BOOT_ORDER BOOT_A_LEFT BOOT_B_LEFT && fatwrite ${devtype} ${devnum}:1 ${kernel_addr_r} ${envfile} ${envsize} || echo shopcast: cannot write ${envfile}"

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
	run shopcast_save
	reset
fi
run shopcast_save

# the initrd 96 MiB above the kernel, whatever the board's U-Boot proposes:
# room for the kernel as it runs (its image_size, 32 MiB for Debian 12's) and
# for kernels to come
setexpr initrd_addr ${kernel_addr_r} + 0x6000000
# a compressed kernel would be unpacked from here
test -n "${kernel_comp_addr_r}" || setexpr kernel_comp_addr_r ${initrd_addr} + 0x6000000
test -n "${kernel_comp_size}" || setenv kernel_comp_size 0x04000000

# extra kernel arguments for a technician or the system test (e.g. the journal
# on a serial console): extra.txt on this partition, a line
# EXTRA_CMDLINE=...; read where the initrd goes later
setenv EXTRA_CMDLINE
if load ${devtype} ${devnum}:1 ${initrd_addr} extra.txt; then
	env import -t ${initrd_addr} ${filesize} EXTRA_CMDLINE
fi
setenv bootargs "root=PARTUUID=@DISK_ID@-0${part} ro rootwait panic=10 systemd.volatile=state @CONSOLE@ rauc.slot=${slot} ${EXTRA_CMDLINE}"
echo "shopcast: booting slot ${slot} (partition ${part})"
load ${devtype} ${devnum}:${part} ${kernel_addr_r} /boot/vmlinuz
load ${devtype} ${devnum}:${part} ${initrd_addr} /boot/initrd.img
booti ${kernel_addr_r} ${initrd_addr}:${filesize} ${fdt_addr}
