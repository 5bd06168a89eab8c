#!/bin/sh
# Make folders of symbolic links to .mp3 clips, for timing on a subset or in several processes.
#
#   tools/bench/link_clips.sh SRC_DIR OUT_DIR COUNT [PARTS]
#
# Takes the first COUNT .mp3 files of SRC_DIR in name order (COUNT 0: all of them) and links
# them into OUT_DIR (PARTS 1, the default), or deals them round-robin into OUT_DIR/part0 ...
# OUT_DIR/part<PARTS-1>, one folder per process. OUT_DIR must not exist yet. Prints the list
# of files taken to OUT_DIR.txt. The librosa scripts and `subgenre features PATH...` follow
# the links.
set -eu
[ $# -ge 3 ] || { sed -n '2,10p' "$0"; exit 2; }
src=$(cd "$1" && pwd)
out=$2
count=$3
parts=${4:-1}
[ ! -e "$out" ] || { echo "$out exists" >&2; exit 1; }
mkdir -p "$out"
ls "$src" | grep -i '\.mp3$' | sort > "$out.txt.all"
if [ "$count" -gt 0 ]; then head -n "$count" "$out.txt.all" > "$out.txt"; else cp "$out.txt.all" "$out.txt"; fi
rm "$out.txt.all"
i=0
while IFS= read -r f; do
    if [ "$parts" -gt 1 ]; then d="$out/part$((i % parts))"; else d="$out"; fi
    mkdir -p "$d"
    ln -s "$src/$f" "$d/$f"
    i=$((i + 1))
done < "$out.txt"
echo "$i clips linked under $out"
