"""Join the data set's 8 s clips into whole tracks of about 6 minutes, for the catalogue and
whole-track timings in BENCHMARKS.md ("Catalogue scale", "Predicting whole tracks").

    python tools/bench/join_tracks.py ../shared/data/hardtechno /tmp/tracks100 --count 100
    python tools/bench/join_tracks.py ../shared/data/hardtechno /tmp/mix1h --count 1 --minutes 60

Track k is clips k*45 .. k*45+44 of labels_final.csv in file order (wrapping round), so
consecutive clips of one source track stay together as in a real track. Each is re-encoded as
a stereo 44.1 kHz 192 kbit/s MP3, the format of a bought or ripped track (the clips are mono
48 kHz 128 kbit/s). Needs ffmpeg: on PATH, or from the imageio-ffmpeg wheel
(``pip install imageio-ffmpeg``). Existing tracks are kept, so a rerun only adds missing ones.
"""
import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile


def ffmpeg_exe():
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg
    except ImportError:
        sys.exit("join_tracks.py needs ffmpeg on PATH or `pip install imageio-ffmpeg`")
    return imageio_ffmpeg.get_ffmpeg_exe()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", help="a data set folder: labels_final.csv and clips/")
    p.add_argument("out", help="folder for track000.mp3 ...")
    p.add_argument("--count", type=int, default=100, help="tracks to make (default 100)")
    p.add_argument("--clips", type=int, default=45, help="clips per track (default 45: 6 min)")
    p.add_argument("--minutes", type=float,
                   help="track length instead of --clips: 60 for an hour-long mix (450 clips)")
    args = p.parse_args()
    if args.minutes is not None:
        args.clips = max(1, round(args.minutes * 60 / 8))

    with open(os.path.join(args.data, "labels_final.csv"), newline="") as f:
        ids = [row["sample_id"] for row in csv.DictReader(f)]
    clips = [os.path.abspath(os.path.join(args.data, "clips", f"{i}.mp3")) for i in ids]
    clips = [c for c in clips if os.path.exists(c)]
    if not clips:
        sys.exit(f"no clips of {args.data}/labels_final.csv found under {args.data}/clips")
    os.makedirs(args.out, exist_ok=True)
    ffmpeg = ffmpeg_exe()
    for k in range(args.count):
        target = os.path.join(args.out, f"track{k:03d}.mp3")
        if os.path.exists(target):
            continue
        part = [clips[(k * args.clips + j) % len(clips)] for j in range(args.clips)]
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
            listing.writelines(f"file '{c}'\n" for c in part)
        tmp = target + ".part.mp3"
        try:
            subprocess.run([ffmpeg, "-v", "error", "-y", "-f", "concat", "-safe", "0",
                            "-i", listing.name, "-ac", "2", "-ar", "44100", "-b:a", "192k",
                            "-map_metadata", "-1", tmp], check=True)
            os.replace(tmp, target)
        finally:
            os.unlink(listing.name)
        print(f"{target}: {len(part)} clips", flush=True)


if __name__ == "__main__":
    main()
