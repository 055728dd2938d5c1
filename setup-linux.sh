#!/usr/bin/env bash
# Installs everything OptiOS needs to build, run and test on Debian/Ubuntu.
# Idempotent: packages already present are skipped; apt runs only if one is missing.
set -euo pipefail

packages=(
	build-essential binutils make python3
	grub-common grub-pc-bin grub-efi-amd64-bin xorriso mtools
	qemu-system-x86 qemu-system-gui ovmf
	musl-tools
	cpio clang libclang-rt-dev
	dpkg-dev # dpkg-source: unpacks the third-party sources (tools/fetch-source.sh)
	tcl # tclsh: SQLite's build writes its amalgamation with it
	curl chromium # the status page's tests fetch it and render it headless (tests/system/test_netapps.py)
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done

# Third-party sources (docs/DEPS.md), fetched once into build/deps/ with a
# private apt configuration (the system's is not touched): BusyBox, Lua, SQLite.
fetch_sources() {
	"$(dirname "$0")/tools/fetch-source.sh" busybox lua5.4 sqlite3
}

if [ ${#missing[@]} -eq 0 ]; then
	echo "setup-linux: all dependencies present"
	fetch_sources
	exit 0
fi

echo "setup-linux: installing: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null; then
		sudo="sudo"
	else
		echo "setup-linux: not root and no sudo; run as root:" >&2
		echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fetch_sources
