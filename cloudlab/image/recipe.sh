#!/bin/sh
# Builds the cloudlab lab base image root file system from Debian's packages.
# Usage: recipe.sh ROOTFS MIRROR PACKAGES
# Called by cloudlab.image.build; any change to this file changes the image tag.
set -eu
rootfs="$1"; mirror="$2"; packages="$3"
debootstrap --variant=minbase --include="$packages" bookworm "$rootfs" "$mirror"

cat > "$rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian}/debian-security bookworm-security main
SOURCES
# Containers keep no package lists: playbooks run apt update with a cache validity.
chroot "$rootfs" apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/lib/apt/periodic/update-success-stamp
mkdir -p "$rootfs/var/lib/apt/lists/partial"
# Ansible's apt module judges cache_valid_time by this folder's age: make it look stale.
touch -d @0 "$rootfs/var/lib/apt/lists"

# Every container gets its own machine id and ssh host keys at first boot.
: > "$rootfs/etc/machine-id"
rm -f "$rootfs"/etc/ssh/ssh_host_*
mkdir -p "$rootfs/etc/systemd/system/ssh.service.d"
cat > "$rootfs/etc/systemd/system/ssh.service.d/cloudlab-hostkeys.conf" <<UNIT
[Service]
ExecStartPre=
ExecStartPre=/usr/bin/ssh-keygen -A
ExecStartPre=/usr/sbin/sshd -t
UNIT

# Units that make no sense (or hang) in a container.
for unit in getty@tty1.service console-getty.service systemd-udevd.service \
    systemd-udev-trigger.service systemd-modules-load.service \
    sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount \
    systemd-remount-fs.service systemd-firstboot.service; do
  ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
done
printf 'PermitRootLogin prohibit-password\n' > "$rootfs/etc/ssh/sshd_config.d/cloudlab.conf"
mkdir -p "$rootfs/root/.ssh" && chmod 700 "$rootfs/root/.ssh"
# Debian's policy-rc.d is absent in the image: services start when installed, as on a real host.
rm -f "$rootfs/usr/sbin/policy-rc.d"
