#!/usr/bin/env bash
# fetch-source.sh - fetches a third-party source the same way every time
# (docs/DEPS.md): a Debian source package, pinned in tools/deps.lock by
# version and the SHA-256 of each of its files, unpacked into
# $BUILD/deps/NAME-VERSION/ (VERSION without the epoch).
#
#   tools/fetch-source.sh [--build DIR] NAME...     fetch and unpack (idempotent)
#   tools/fetch-source.sh --dir NAME                 print the unpacked directory
#
# How: `apt-get source` through a private sources list, state and cache under
# $BUILD/apt/ (the system's apt configuration is never read for sources nor
# written; works as root and not), then every file's SHA-256 against the lock,
# then `dpkg-source -x` (the .dsc's own checksums, Debian's patches applied).
# Without apt-get (macOS) the files come by curl from the mirror's pool, the
# URLs the .dsc names, and the lock checks them the same way; without
# dpkg-source the orig tarball is unpacked and debian/patches/series applied
# with patch -p1, which is what dpkg-source does for a "3.0 (quilt)" package.
#
# The lock's lines (a '#' starts a comment):
#   mirror  URL SUITE COMPONENT           the archive (a deb-src line)
#   NAME    VERSION FILE SHA256           one line per file of the package
# Exit status: 0 unpacked (or already), 1 an error said on stderr.
# Environment: OPTIOS_DEBIAN_MIRROR (another mirror), OPTIOS_FETCH_CURL=1
# (curl even where apt-get is), OPTIOS_NO_DPKG_SOURCE=1 (the tar + patch
# way even where dpkg-source is), OPTIOS_DEPS_LOCK (another lock file).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
lock=${OPTIOS_DEPS_LOCK:-$root/tools/deps.lock} # (another lock: the tests)
build=$root/build
me=fetch-source

die() {
	echo "$me: $*" >&2
	exit 1
}

# lock_files NAME: "VERSION FILE SHA256" lines of NAME.
lock_files() { awk -v n="$1" '$1 == n && NF >= 4 { print $2, $3, $4 }' "$lock"; }
lock_version() { lock_files "$1" | awk 'NR == 1 { print $1 }'; }
upstream_dir() { echo "$build/deps/$1-${2#*:}"; }

sha256() {
	if command -v sha256sum >/dev/null; then
		sha256sum "$1" | cut -d' ' -f1
	else
		shasum -a 256 "$1" | cut -d' ' -f1
	fi
}

# Private apt: every path it reads or writes for sources lives under $aptdir.
apt_private() {
	local aptdir=$build/apt
	mkdir -p "$aptdir/state/lists/partial" "$aptdir/cache/archives/partial" "$aptdir/etc"
	read -r url suite comp < <(awk '$1 == "mirror" { print $2, $3, $4; exit }' "$lock")
	[ -n "${url:-}" ] || die "$lock: no 'mirror URL SUITE COMPONENT' line"
	url=${OPTIOS_DEBIAN_MIRROR:-$url}
	local key=/usr/share/keyrings/debian-archive-keyring.gpg opt="[trusted=yes]"
	[ -r "$key" ] && opt="[signed-by=$key]" # else the lock's SHA-256 is the only check
	echo "deb-src $opt $url $suite $comp" > "$aptdir/etc/sources.list.new"
	cmp -s "$aptdir/etc/sources.list.new" "$aptdir/etc/sources.list" 2>/dev/null ||
		{ mv "$aptdir/etc/sources.list.new" "$aptdir/etc/sources.list" && rm -f "$aptdir/state/lists/"*_Sources*; }
	rm -f "$aptdir/etc/sources.list.new"
	APT_OPTS=(-q -o Dir::Etc::SourceList="$aptdir/etc/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o Dir::State="$aptdir/state" -o Dir::Cache="$aptdir/cache" -o Dir::Etc::Preferences=/dev/null
		-o Dir::Etc::PreferencesParts=/dev/null -o APT::Sandbox::User="$(id -un)"
		-o Acquire::Languages=none -o APT::Get::Only-Source=true)
	APT=(apt-get "${APT_OPTS[@]}")
}

# download_apt NAME VERSION DIR: the package's files into DIR.
download_apt() {
	apt_private
	if ! ls "$build/apt/state/lists/"*_Sources* >/dev/null 2>&1; then
		echo "$me: apt-get update (private lists: $build/apt)"
		"${APT[@]}" update > "$build/apt/update.log" 2>&1 || true
		if ! ls "$build/apt/state/lists/"*_Sources* >/dev/null 2>&1; then
			grep -E '^(W|E|Err):' "$build/apt/update.log" >&2 || cat "$build/apt/update.log" >&2
			die "apt-get update got no source index from $url (network down? the mirror line in $lock)"
		fi
	fi
	if ! (cd "$3" && "${APT[@]}" source --download-only "$1=$2") > "$build/apt/source.log" 2>&1; then
		cat "$build/apt/source.log" >&2
		if grep -q "Can not find version\|Unable to find a source package" "$build/apt/source.log"; then
			local have
			have=$(apt-cache "${APT_OPTS[@]}" showsrc "$1" 2>/dev/null | awk '/^Version:/ { print $2 }' | tr '\n' ' ')
			die "$1 $2 is not in the mirror (it has: ${have:-nothing}); update tools/deps.lock (docs/DEPS.md)"
		fi
		die "apt-get source $1=$2 failed (network down?)"
	fi
}

# download_curl NAME VERSION DIR: the same files from the mirror's pool.
download_curl() {
	local url pool file
	read -r url _ < <(awk '$1 == "mirror" { print $2; exit }' "$lock")
	url=${OPTIOS_DEBIAN_MIRROR:-$url}
	case $1 in lib?*) pool=${1:0:4} ;; *) pool=${1:0:1} ;; esac
	lock_files "$1" | while read -r _ file _; do
		[ -f "$3/$file" ] && continue
		echo "$me: curl $url/pool/main/$pool/$1/$file"
		curl -fsSL -o "$3/$file.part" "$url/pool/main/$pool/$1/$file" ||
			die "curl $url/pool/main/$pool/$1/$file failed (network down?)"
		mv "$3/$file.part" "$3/$file"
	done
}

# verify NAME DIR: every file the lock names is there with its SHA-256.
verify() {
	local version file want got
	while read -r version file want; do
		[ -f "$2/$file" ] || die "$file missing after the download ($1 $version)"
		got=$(sha256 "$2/$file")
		if [ "$got" != "$want" ]; then
			mv "$2/$file" "$2/$file.bad"
			die "$file: SHA-256 $got, tools/deps.lock expects $want (moved to $2/$file.bad)"
		fi
	done < <(lock_files "$1")
}

# unpack NAME DIR DEST: dpkg-source -x, else orig tarball + quilt series.
unpack() {
	local dsc
	dsc=$(lock_files "$1" | awk '$2 ~ /\.dsc$/ { print $2; exit }')
	rm -rf "$3" "$3.tmp"
	if command -v dpkg-source >/dev/null && [ -z "${OPTIOS_NO_DPKG_SOURCE:-}" ]; then
		(cd "$2" && dpkg-source --no-copy -x "$dsc" "$3.tmp") > "$2/unpack.log" 2>&1 ||
			{ cat "$2/unpack.log" >&2; die "dpkg-source -x $dsc failed"; }
	else
		local orig deb
		orig=$(lock_files "$1" | awk '$2 ~ /\.orig\.tar/ { print $2; exit }')
		deb=$(lock_files "$1" | awk '$2 ~ /\.debian\.tar/ { print $2; exit }')
		mkdir -p "$3.tmp"
		tar -xf "$2/$orig" -C "$3.tmp" --strip-components=1
		if [ -n "$deb" ]; then
			tar -xf "$2/$deb" -C "$3.tmp"
			if [ -f "$3.tmp/debian/patches/series" ]; then
				local nobak=() # GNU patch keeps FILE.orig when a hunk moved; dpkg-source does not
				patch --version 2>/dev/null | grep -q GNU && nobak=(--no-backup-if-mismatch)
				sed 's/#.*//' "$3.tmp/debian/patches/series" | while read -r p _; do
					[ -z "$p" ] || patch -d "$3.tmp" -p1 -s ${nobak[@]+"${nobak[@]}"} < "$3.tmp/debian/patches/$p" ||
						die "$p does not apply"
				done
			fi
		fi
	fi
	mv "$3.tmp" "$3"
}

fetch() {
	local name=$1 version dest dl
	version=$(lock_version "$name")
	[ -n "$version" ] || die "$name: not in $lock (docs/DEPS.md: adding a dependency)"
	dest=$(upstream_dir "$name" "$version")
	# The stamp holds the lock's lines it was made from: a changed pin refetches.
	if [ -f "$dest/.optios-fetched" ] && lock_files "$name" | cmp -s - "$dest/.optios-fetched"; then
		return 0
	fi
	dl=$build/deps/download/$name
	mkdir -p "$dl"
	if ! lock_files "$name" | while read -r _ f _; do [ -f "$dl/$f" ] || exit 1; done; then
		if command -v apt-get >/dev/null && [ -z "${OPTIOS_FETCH_CURL:-}" ]; then
			download_apt "$name" "$version" "$dl"
		else
			download_curl "$name" "$version" "$dl"
		fi
	fi
	verify "$name" "$dl"
	unpack "$name" "$dl" "$dest"
	lock_files "$name" > "$dest/.optios-fetched"
	echo "$me: $name $version in ${dest#$root/}"
}

[ $# -gt 0 ] || { echo "usage: $me [--build DIR] NAME... | --dir NAME" >&2; exit 2; }
if [ "$1" = --build ]; then
	[ $# -ge 2 ] || die "--build needs a directory"
	mkdir -p "$2"
	build=$(cd "$2" && pwd)
	shift 2
fi
if [ "${1:-}" = --dir ]; then
	v=$(lock_version "${2:?--dir NAME}")
	[ -n "$v" ] || die "${2}: not in $lock"
	upstream_dir "$2" "$v"
	exit 0
fi
for n in "$@"; do
	fetch "$n"
done
