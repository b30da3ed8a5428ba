#!/bin/bash
# Provisions the cac box image from inside it, as root (a chroot of a debootstrap rootfs, or a Dockerfile
# RUN): CAs, Node links, the cac user, sshd, the entrypoint. The packages are installed already and Node
# copied to /usr/local. Its directory holds the recipe (and cas/: extra CA files of the building host).
#   APT_MIRROR, APT_SECURITY_MIRROR  when set, apt's sources are written for them (a debootstrap rootfs)
set -euo pipefail
RECIPE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
SUITE=bookworm

# A network that inspects HTTPS with its own CA: without it curl/npm in a box fail or hang.
if [ -d "$RECIPE/cas" ]; then cp -a "$RECIPE/cas/." /usr/local/share/ca-certificates/; fi
update-ca-certificates >/dev/null 2>&1
# /etc/environment reaches ssh/login sessions (pam_env), where image ENV does not.
echo "NODE_EXTRA_CA_CERTS=$CA_BUNDLE" >>/etc/environment

# Node ≥ 20 is in /usr/local (Debian's nodejs is 18): npm's links and global config.
mkdir -p /usr/local/bin /usr/local/etc
ln -sf ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm
ln -sf ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx
echo "cafile=$CA_BUNDLE" >/usr/local/etc/npmrc

# The user cac logs in as: no password, but not locked (sshd refuses key logins to locked accounts).
useradd -m -u 1000 -U -s /bin/bash -G sudo,docker cac
usermod -p '*' cac
printf 'cac ALL=(ALL) NOPASSWD:ALL\nDefaults env_keep += "NODE_EXTRA_CA_CERTS"\n' >/etc/sudoers.d/cac
chmod 440 /etc/sudoers.d/cac
install -d -m 700 /home/cac/.ssh
install -m 600 /dev/null /home/cac/.ssh/authorized_keys
chown -R cac:cac /home/cac/.ssh
cat >/etc/ssh/sshd_config.d/cac.conf <<'CONF'
HostKey /etc/ssh/ssh_host_ed25519_key
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
AllowUsers cac
CONF
rm -f /etc/ssh/ssh_host_*  # each container makes its own at start (box-entrypoint)
install -m 755 "$RECIPE/box-entrypoint" /usr/local/bin/box-entrypoint

if [ -n "${APT_MIRROR:-}" ]; then
  printf 'deb %s %s main\ndeb %s %s-updates main\ndeb %s %s-security main\n' \
    "$APT_MIRROR" "$SUITE" "$APT_MIRROR" "$SUITE" "${APT_SECURITY_MIRROR:-${APT_MIRROR%/debian}/debian-security}" "$SUITE" >/etc/apt/sources.list
fi
rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin
rm -rf /var/lib/apt/lists/*
mkdir -p /var/lib/apt/lists/partial
