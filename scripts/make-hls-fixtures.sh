#!/usr/bin/env bash
# Makes the segmented-media fixtures (HLS and DASH), all from ffmpeg's test sources, so there
# is nothing to license. Small: under 1.2 MB in all. Needs ffmpeg (Debian: apt-get install -y ffmpeg).
#
#   example-app/media/hls/           a 3-rendition HLS ladder with TS segments (master.m3u8,
#                                     low/ mid/ high/ each a media playlist + 6 segments of 2 s);
#                                     the example page's hls.js player and the tests use it
#   test/fixtures/segmented/fmp4/    HLS with fMP4 segments (.m4s) and an EXT-X-MAP init segment
#   test/fixtures/segmented/dash/    a DASH MPD with SegmentTemplate + SegmentTimeline
#
# Every rendition has a keyframe every 2 s, so segments are exactly 2 s long, and a steady
# bitrate (CBR-like x264 settings), so a segment's size × 8 ÷ 2 s is close to BANDWIDTH.
# The outputs have bit-exact flags on, metadata off and one encoder thread, so re-running the
# script gives the same files on the same ffmpeg build.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v ffmpeg >/dev/null || { echo "make-hls-fixtures: ffmpeg not found (apt-get install -y ffmpeg)" >&2; exit 1; }

seconds=12
common=(-hide_banner -loglevel error -y)
clean=(-map_metadata -1 -fflags +bitexact -flags +bitexact)
video=(-f lavfi -i "testsrc=size=480x270:rate=15:duration=${seconds}")
audio=(-f lavfi -i "sine=frequency=440:beep_factor=4:sample_rate=44100:duration=${seconds}")
x264=(-threads 1 -c:v libx264 -preset veryfast -profile:v main -pix_fmt yuv420p -g 30 -keyint_min 30 -sc_threshold 0 -x264-params bitexact=1:nal-hrd=cbr)
aac=(-c:a aac -ac 1 -b:a 24k)

# The ladder: 160x90 @ 40 kbit/s, 320x180 @ 150 kbit/s, 480x270 @ 300 kbit/s, each with its
# own 24 kbit/s audio muxed into the TS segments.
hls=example-app/media/hls
rm -rf "$hls" && mkdir -p "$hls"
ffmpeg "${common[@]}" "${video[@]}" "${audio[@]}" \
  -filter_complex "[0:v]split=3[v0][v1][v2];[v0]scale=160:90[low];[v1]scale=320:180[mid];[v2]copy[high]" \
  -map "[low]" -map 1:a -map "[mid]" -map 1:a -map "[high]" -map 1:a \
  "${x264[@]}" \
  -b:v:0 40k -maxrate:v:0 40k -bufsize:v:0 40k \
  -b:v:1 150k -maxrate:v:1 150k -bufsize:v:1 150k \
  -b:v:2 300k -maxrate:v:2 300k -bufsize:v:2 300k \
  "${aac[@]}" "${clean[@]}" \
  -f hls -hls_time 2 -hls_playlist_type vod -hls_flags independent_segments \
  -var_stream_map "v:0,a:0,name:low v:1,a:1,name:mid v:2,a:2,name:high" \
  -master_pl_name master.m3u8 -hls_segment_filename "$hls/%v/seg_%03d.ts" "$hls/%v/index.m3u8"

seg=test/fixtures/segmented
rm -rf "$seg" && mkdir -p "$seg/fmp4" "$seg/dash"
small=(-f lavfi -i "testsrc=size=320x180:rate=15:duration=8")
# HLS with fMP4 segments: init.mp4 (EXT-X-MAP) and seg_000.m4s … seg_003.m4s.
ffmpeg "${common[@]}" "${small[@]}" "${x264[@]}" -b:v 120k -maxrate 120k -bufsize 120k "${clean[@]}" \
  -f hls -hls_time 2 -hls_playlist_type vod -hls_segment_type fmp4 -hls_fmp4_init_filename init.mp4 \
  -hls_segment_filename "$seg/fmp4/seg_%03d.m4s" "$seg/fmp4/index.m3u8"
# DASH: manifest.mpd with SegmentTemplate + SegmentTimeline, init-stream0.m4s, chunk-stream0-0000N.m4s.
ffmpeg "${common[@]}" "${small[@]}" "${x264[@]}" -b:v 120k -maxrate 120k -bufsize 120k "${clean[@]}" \
  -f dash -seg_duration 2 -use_template 1 -use_timeline 1 "$seg/dash/manifest.mpd"

du -cb "$hls" "$seg" | tail -1
