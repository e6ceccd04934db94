#!/usr/bin/env bash
# Makes the example server's sample media (example-app/media), all from ffmpeg's test sources,
# so there is nothing to license. Small (≤ 2 MB in all) but long enough (24 s) that throttled
# playback is visible. Needs ffmpeg (Debian: apt-get install -y ffmpeg).
#
#   sample-faststart.mp4  H.264 + AAC, `moov` before `mdat` (what `-movflags +faststart` makes)
#   sample-moovlast.mp4   the same streams, `moov` after `mdat` (a player needs a Range request)
#   sample.mp3            MP3, CBR, with an ID3v2 tag and a Xing/Info frame
#   sample.m4a            AAC audio in MP4 (the chapter's `$URL[*.m4a], no` rule applies to it)
#
# The outputs have bit-exact flags on, metadata off, so re-running the script gives the same
# files on the same ffmpeg build.
set -euo pipefail
cd "$(dirname "$0")/.."
out=example-app/media
mkdir -p "$out"
command -v ffmpeg >/dev/null || { echo "make-sample-media: ffmpeg not found (apt-get install -y ffmpeg)" >&2; exit 1; }

seconds=24
common=(-hide_banner -loglevel error -y)
clean=(-map_metadata -1 -fflags +bitexact)
video=(-f lavfi -i "testsrc=size=320x180:rate=15:duration=${seconds}")
audio=(-f lavfi -i "sine=frequency=440:beep_factor=4:sample_rate=44100:duration=${seconds}")
# ~160 kbit/s video with a keyframe every 2 s (so seeks land quickly), ~48 kbit/s mono audio.
h264=(-c:v libx264 -preset veryslow -profile:v main -pix_fmt yuv420p -b:v 160k -maxrate 200k -bufsize 400k -g 30 -x264-params bitexact=1)
aac=(-c:a aac -b:a 48k -ac 1 -flags +bitexact)

ffmpeg "${common[@]}" "${video[@]}" "${audio[@]}" "${h264[@]}" "${aac[@]}" "${clean[@]}" -movflags +faststart "$out/sample-faststart.mp4"
# Stream copy so both MP4s carry the same media; without +faststart the muxer writes moov last.
ffmpeg "${common[@]}" -i "$out/sample-faststart.mp4" -c copy "${clean[@]}" "$out/sample-moovlast.mp4"
ffmpeg "${common[@]}" "${audio[@]}" -c:a libmp3lame -b:a 48k -ac 1 -id3v2_version 3 -write_xing 1 "${clean[@]}" "$out/sample.mp3"
ffmpeg "${common[@]}" "${audio[@]}" "${aac[@]}" "${clean[@]}" -movflags +faststart "$out/sample.m4a"

ls -l "$out"
du -cb "$out"/* | tail -1
