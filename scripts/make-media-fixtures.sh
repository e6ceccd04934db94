#!/bin/sh
# Makes the media fixtures of test/fixtures/media with ffmpeg (Debian's package), then
# records what ffprobe and an independent box/frame listing say about them in expected.json.
# The files are small (2-3 s, low resolution and bitrate); commit them with expected.json.
#
#   apt-get install -y ffmpeg python3 && sh scripts/make-media-fixtures.sh
set -eu
cd "$(dirname "$0")/../test/fixtures/media"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }

# Video: 10 fps, no B-frames (no ctts) and 8 kHz audio keep moov small; noise makes x264
# spend its bitrate. So the header is under 3 % of each file, and ffprobe's whole-file
# format rate and the payload rate of docs/spec.md §4 agree within 3 % too.
video="-f lavfi -i testsrc=size=160x120:rate=10:duration=3"
audio="-f lavfi -i sine=frequency=440:sample_rate=8000:duration=3"
x264="-vf noise=alls=8:allf=t -c:v libx264 -preset veryfast -pix_fmt yuv420p -bf 0 -b:v 150k -maxrate 150k -bufsize 300k -g 10"
aac="-c:a aac -b:a 16k -ac 1 -map_metadata -1 -fflags +bitexact"

ff $video $audio $x264 $aac -movflags +faststart moov-first.mp4
ff $video $audio $x264 $aac moov-last.mp4
ff -f lavfi -i sine=frequency=330:sample_rate=44100:duration=3 -c:a aac -b:a 128k -ac 1 -map_metadata -1 -fflags +bitexact -movflags +faststart audio.m4a
ff $video $audio $x264 $aac -movflags frag_keyframe+empty_moov+default_base_moof fragmented.mp4

tone="-f lavfi -i sine=frequency=440:sample_rate=44100:duration=3"
ff $tone -c:a libmp3lame -b:a 64k -ac 1 -write_xing 0 -id3v2_version 0 cbr.mp3
ff -f lavfi -i "aevalsrc=0.5*sin(440*2*PI*t)*lt(t\\,1.5)+0.3*random(0)*gte(t\\,1.5):s=44100:d=3" -c:a libmp3lame -q:a 4 -ac 1 vbr-xing.mp3
ff -f lavfi -i color=c=orange:s=32x32 -frames:v 1 "$tmp/cover.png"
ff $tone -i "$tmp/cover.png" -map 0:a -map 1:v -c:a libmp3lame -b:a 64k -ac 1 -c:v copy -id3v2_version 3 \
  -metadata title="Cover test" -metadata:s:v title="Album cover" -metadata:s:v comment="Cover (front)" \
  -write_id3v1 1 cover-art.mp3
ff -f lavfi -i sine=frequency=440:sample_rate=22050:duration=3 -c:a libmp3lame -b:a 32k -ac 1 -write_xing 0 mpeg2.mp3

python3 - <<'PY'
import json, os, struct, subprocess

def ffprobe(path):
    out = subprocess.run(['ffprobe', '-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', path],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)

def first_packet_pos(path):
    out = subprocess.run(['ffprobe', '-v', 'error', '-select_streams', 'a:0', '-show_entries', 'packet=pos',
                          '-read_intervals', '%+#1', '-of', 'csv=p=0', path], check=True, capture_output=True, text=True).stdout
    return int(out.split()[0].strip(','))

def boxes(path):
    """Top-level ISO BMFF boxes as (type, start, end): an independent listing for the MP4 header."""
    size, out, off = os.path.getsize(path), [], 0
    with open(path, 'rb') as f:
        while off + 8 <= size:
            f.seek(off)
            n, t = struct.unpack('>I4s', f.read(8))
            if n == 1: n = struct.unpack('>Q', f.read(8))[0]
            elif n == 0: n = size - off
            out.append((t.decode('latin1'), off, off + n))
            off += n
    return out

expected = {}
for name in sorted(os.listdir('.')):
    if not name.endswith(('.mp4', '.m4a', '.mp3')): continue
    probe, size = ffprobe(name), os.path.getsize(name)
    entry = {'size': size, 'ffprobeBitRate': int(probe['format']['bit_rate']), 'ffprobeDuration': float(probe['format']['duration'])}
    audio = [s for s in probe['streams'] if s['codec_type'] == 'audio']
    if audio and 'bit_rate' in audio[0]: entry['ffprobeAudioBitRate'] = int(audio[0]['bit_rate'])
    # The encoding rate: ffprobe's per-stream rates summed, cover art (an attached picture) left out.
    # The format rate is the whole file over the duration, header and cover art included.
    media = [s for s in probe['streams'] if not s.get('disposition', {}).get('attached_pic') and 'bit_rate' in s]
    entry['ffprobeStreamsBitRate'] = sum(int(s['bit_rate']) for s in media)
    if name.endswith('.mp3'):
        entry['container'] = 'mp3'
        # ffmpeg's first audio packet starts after the ID3v2 tags and any Xing/Info frame.
        start = first_packet_pos(name)
        entry['header'] = [[0, start]] if start else []
        with open(name, 'rb') as f:
            f.seek(size - 128); entry['trailerBytes'] = 128 if f.read(3) == b'TAG' else 0
    else:
        entry['container'] = 'mp4'
        listing = boxes(name)
        entry['boxes'] = [list(b) for b in listing]
        media = [b for b in listing if b[0] in ('mdat', 'moof')]
        moov = next(b for b in listing if b[0] == 'moov')
        first = media[0][1]
        entry['header'] = [[0, first]] if moov[1] < first else [[0, first], [moov[1], moov[2]]]
        entry['fragmented'] = any(b[0] == 'moof' for b in listing)
        last = media[-1][2]
        entry['trailerBytes'] = size - last - (moov[2] - moov[1] if moov[1] >= last else 0)
    entry['headerBytes'] = sum(e - s for s, e in entry['header'])
    expected[name] = entry
with open('expected.json', 'w') as f:
    json.dump(expected, f, indent=2); f.write('\n')
PY
ls -l
