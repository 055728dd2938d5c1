#!/bin/sh
# mktree.sh SRC DST ARCHIVE - copies the committed test tree SRC to DST, adds
# what git cannot hold (an empty directory, a symlink, a hard link, an empty
# file, odd permissions), and writes it with GNU cpio as a newc archive.
set -eu
src=$1 dst=$2 out=$3
rm -rf "$dst"
mkdir -p "$dst"
cp -R "$src/." "$dst/"
mkdir "$dst/empty"
chmod 0700 "$dst/empty"
ln -s etc/kernel.conf "$dst/conf-link"
ln "$dst/bin/readme.txt" "$dst/etc/readme-link"
: > "$dst/etc/zero"
chmod 0600 "$dst/etc/zero"
chmod 0755 "$dst/bin/readme.txt"
(cd "$dst" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$out.tmp"
mv "$out.tmp" "$out"
