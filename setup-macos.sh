#!/usr/bin/env bash
# Installs what OptiOS needs on macOS with Homebrew: a cross toolchain for
# x86_64 ELF, GRUB for BIOS and EFI, xorriso, mtools, QEMU and musl-cross.
# Then build with:  make TOOLPREFIX=x86_64-elf- GRUB_MKRESCUE=x86_64-elf-grub-mkrescue
# (untested here: written for readers on macOS; report what breaks).
set -euo pipefail

if ! command -v brew >/dev/null; then
	echo "setup-macos: Homebrew is required: https://brew.sh" >&2
	exit 1
fi

# x86_64-elf-gcc/binutils: the freestanding kernel compiler and linker.
# i686-elf-grub and x86_64-elf-grub: grub-mkrescue with i386-pc and x86_64-efi.
# musl-cross: x86_64-linux-musl-gcc for user programs (use MUSL_GCC=...).
formulas=(x86_64-elf-gcc x86_64-elf-binutils i686-elf-grub x86_64-elf-grub xorriso mtools qemu python3 filosottile/musl-cross/musl-cross)

for f in "${formulas[@]}"; do
	name=${f##*/}
	if brew list --formula "$name" >/dev/null 2>&1; then
		echo "setup-macos: $name present"
	else
		brew install "$f"
	fi
done

echo "setup-macos: done. OVMF for UEFI tests ships with Homebrew's qemu as edk2-x86_64-code.fd."
