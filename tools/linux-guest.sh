#!/usr/bin/env bash
# linux-guest.sh BUILD - the Linux comparison guest of the network
# benchmarks (tools/netbench.py): Debian's Linux 6.1 kernel (the package
# linux-image-amd64 depends on now, fetched with `apt-get download`, a
# registry package like any other: never committed) and an initramfs of
# tools/linux-guest/init.c, echod.c (static, musl) and the virtio-net
# modules. Writes BUILD/linux/{vmlinuz,System.map,initramfs.cpio,version}.
# Idempotent: the kernel is fetched once.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build}/linux
mkdir -p "$out" && out=$(cd "$out" && pwd)
mkdir -p "$out"
if [ ! -f "$out/vmlinuz" ]; then
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	[ -n "$pkg" ] || { echo "linux-guest: no linux-image-amd64 in apt's lists (apt-get update)" >&2; exit 1; }
	rm -rf "$out/pkg" && mkdir -p "$out/pkg"
	(cd "$out/pkg" && apt-get download -q "$pkg" > "$out/download.log" 2>&1) ||
		{ cat "$out/download.log" >&2; exit 1; }
	dpkg-deb -x "$out"/pkg/*.deb "$out/pkg/root"
	cp "$out"/pkg/root/boot/System.map-* "$out/System.map"
	dpkg-deb -f "$out"/pkg/*.deb Package Version | tr '\n' ' ' > "$out/version"
	rm -rf "$out/modules" && mkdir -p "$out/modules"
	for m in drivers/virtio/virtio drivers/virtio/virtio_ring drivers/virtio/virtio_pci_legacy_dev \
		drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci net/core/failover \
		drivers/net/net_failover drivers/net/virtio_net; do
		cp "$out"/pkg/root/lib/modules/*/kernel/$m.ko "$out/modules/"
	done
	cp "$out"/pkg/root/boot/vmlinuz-* "$out/vmlinuz.tmp" && mv "$out/vmlinuz.tmp" "$out/vmlinuz"
	rm -rf "$out/pkg"
fi
tree=$out/initramfs
rm -rf "$tree" && mkdir -p "$tree/lib" "$tree/dev" "$tree/proc"
${MUSL_GCC:-musl-gcc} -static -O2 -Wall -o "$tree/init" "$root/tools/linux-guest/init.c"
${MUSL_GCC:-musl-gcc} -static -O2 -Wall -o "$tree/echod" "$root/tools/linux-guest/echod.c"
cp "$out"/modules/*.ko "$tree/lib/"
(cd "$tree" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) > "$out/initramfs.cpio"
echo "linux-guest: $(cat "$out/version")-> $out/vmlinuz, $out/initramfs.cpio"
