import fs from 'node:fs';
import path from 'node:path';

/** A fixture captured from Chromium (test/fixtures/sdp/README.md). */
export function fixture(name: string): string {
  return fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'sdp', name), 'utf8');
}

/** Lines joined with `eol`, and one after the last. */
export function sdp(lines: string[], eol = '\r\n'): string {
  return lines.map((l) => l + eol).join('');
}

/** The b= lines of each m= section, in order. */
export function bandwidthLines(text: string): string[][] {
  const sections: string[][] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('m=')) sections.push([]);
    else if (line.startsWith('b=') && sections.length > 0) sections[sections.length - 1]!.push(line);
  }
  return sections;
}

/** The text with every line matching `drop` removed, each line keeping its own ending. */
export function without(text: string, drop: RegExp): string {
  return (text.match(/[^\n]*\n|[^\n]+$/g) ?? []).filter((l) => !drop.test(l.replace(/\r?\n$/, ''))).join('');
}

/** A two-section session as Firefox writes one (CRLF, TIAS already set on video by the app). */
export const FIREFOX_OFFER = sdp([
  'v=0',
  'o=mozilla...THIS_IS_SDPARTA-99.0 5418426393440457153 0 IN IP4 0.0.0.0',
  's=-',
  't=0 0',
  'a=fingerprint:sha-256 0E:1B:2D:1A:5E:0F:3C:62:3F:9D:73:6C:89:9B:2A:11:0B:7A:4C:58:2C:47:7A:6A:0F:3E:52:4D:0F:63:1C:6B',
  'a=group:BUNDLE 0 1',
  'a=ice-options:trickle',
  'a=msid-semantic:WMS *',
  'm=audio 9 UDP/TLS/RTP/SAVPF 109 9 0 8 101',
  'c=IN IP4 0.0.0.0',
  'a=sendrecv',
  'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1',
  'a=ice-pwd:2b1f0bd8ba2aa2e1c2d5cbf3bf8e3a46',
  'a=ice-ufrag:f4c2e3b9',
  'a=mid:0',
  'a=msid:{5b1e2d36-0b45-4a2e-9bd8-6f1c0a2e7e11} {8a4b1f3e-2c6d-4f5a-9e7b-1d2c3b4a5f60}',
  'a=rtcp-mux',
  'a=rtpmap:109 opus/48000/2',
  'a=setup:actpass',
  'a=ssrc:3195339132 cname:{0f5d3a1c-6b2e-4c7a-8d9f-1e2b3c4d5e6f}',
  'm=video 9 UDP/TLS/RTP/SAVPF 120 124 121 125',
  'c=IN IP4 0.0.0.0',
  'b=TIAS:2000000',
  'a=sendrecv',
  'a=fmtp:120 max-fs=12288;max-fr=60',
  'a=ice-pwd:2b1f0bd8ba2aa2e1c2d5cbf3bf8e3a46',
  'a=ice-ufrag:f4c2e3b9',
  'a=mid:1',
  'a=rtcp-fb:120 nack',
  'a=rtcp-mux',
  'a=rtpmap:120 VP8/90000',
  'a=setup:actpass',
  'a=ssrc:2456741985 cname:{0f5d3a1c-6b2e-4c7a-8d9f-1e2b3c4d5e6f}',
]);
