#!/bin/bash -e
# pi-gen, inside the Raspberry Pi OS root: install the hub as the Debian image does, then the
# same services; Raspberry Pi OS's own network manager and mDNS responder make way for the
# hub's (systemd-networkd, the hub's own mDNS), and SSH stays off until first boot enables it.
/usr/lib/soko-hub/install-wheels /var/tmp/soko-wheelhouse
rm -rf /var/tmp/soko-wheelhouse
systemd-sysusers
systemctl enable soko-hub.service soko-hub-firstboot.service soko-hub-helper.socket \
    soko-hub-backup.timer soko-hub-housekeeping.timer soko-hub-hotspot.service \
    systemd-networkd.service nftables.service systemd-timesyncd.service
systemctl disable NetworkManager.service dhcpcd.service ssh.service 2>/dev/null || true
systemctl mask avahi-daemon.service avahi-daemon.socket
rm -f /etc/ssh/ssh_host_*
