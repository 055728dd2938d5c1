#!/usr/bin/env bash
# Checks that the tools OptiOS needs are installed; runs setup-linux.sh when
# they are not (or says exactly what to run when it cannot).
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
need=(gcc ld nm make python3 cpio grub-mkrescue xorriso mformat qemu-system-x86_64 musl-gcc tclsh)
missing=()
for t in "${need[@]}"; do
	command -v "$t" >/dev/null 2>&1 || missing+=("$t")
done
# GRUB needs both platform directories for a hybrid ISO, and UEFI tests need OVMF.
for d in /usr/lib/grub/i386-pc /usr/lib/grub/x86_64-efi; do
	[ -d "$d" ] || [ "$(uname)" = Darwin ] || missing+=("$d")
done
ls /usr/share/OVMF/OVMF_CODE*.fd >/dev/null 2>&1 || [ "$(uname)" = Darwin ] || missing+=(OVMF)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "missing: ${missing[*]}"
if [ "$(uname)" = Darwin ]; then
	echo "run: $here/setup-macos.sh"
	exit 1
fi
if [ "$(id -u)" -eq 0 ] || sudo -n true 2>/dev/null; then
	exec "$here/setup-linux.sh"
fi
echo "run: sudo $here/setup-linux.sh"
exit 1
