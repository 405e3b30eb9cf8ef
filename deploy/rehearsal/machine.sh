#!/bin/sh
# The rehearsal's fresh Debian 12 machine, before any README step: a debootstrap tree at ROOT
# with a kernel, systemd and sshd, and the *machine* preparations that stand in for "a machine
# on the internet" here (this host's /etc/hosts entries for the registries, its CA bundle for
# pip and curl, its apt sources, DHCP, root's SSH key). Usage: machine.sh ROOT HOSTNAME PUBKEY
set -eu
root=$1 name=$2 pubkey=$3
debootstrap --include=linux-image-amd64,systemd-sysv,openssh-server,ca-certificates \
    bookworm "$root" http://deb.debian.org/debian
echo "$name" >"$root/etc/hostname"
printf '/dev/vda / ext4 defaults 0 1\n' >"$root/etc/fstab"
{
    printf '127.0.0.1 localhost\n127.0.1.1 %s\n' "$name"
    getent hosts pypi.org files.pythonhosted.org deb.debian.org | awk '{print $1, $2}'
} >"$root/etc/hosts"
printf 'nameserver 10.0.2.3\n' >"$root/etc/resolv.conf"
rm -f "$root/etc/apt/sources.list"
cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
ca=/usr/local/share/rehearsal/host-ca.crt
install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$root$ca"
printf '[global]\ncert = %s\n' "$ca" >"$root/etc/pip.conf"
printf 'CURL_CA_BUNDLE=%s\n' "$ca" >>"$root/etc/environment"
printf '[Match]\nName=en*\n\n[Network]\nDHCP=yes\n' >"$root/etc/systemd/network/50-dhcp.network"
chroot "$root" systemctl enable systemd-networkd
install -d -m 0700 "$root/root/.ssh"
install -m 0600 "$pubkey" "$root/root/.ssh/authorized_keys"
