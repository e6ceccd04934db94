import { SdpError } from './sdp-error';

/** One line of an SDP: its text and the line ending it had (`''` for a last line without one). */
export interface SdpLine {
  readonly text: string;
  readonly eol: '\r\n' | '\n' | '';
}

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** One `m=` section, as the bandwidth writer needs it. */
export interface MediaSection {
  /** `audio`, `video`, `application`, … */
  readonly kind: string;
  readonly port: number;
  /** Port 0 without `a=bundle-only` (RFC 8843 §6): the answerer refused the section. */
  readonly rejected: boolean;
  /** The section's own direction attribute, else the session's, else `sendrecv` (RFC 4566 §6). */
  readonly direction: Direction;
  readonly mid: string | null;
  /** Index of the `m=` line in `lines`. */
  readonly start: number;
  /** Index one past the section's last line. */
  readonly end: number;
  /**
   * Where b= lines belong (RFC 4566 §5: m=, i=, c=, b=, k=, a=): the index after the run of
   * i=, c= and b= lines that follows the m= line.
   */
  readonly bandwidthAt: number;
  /** The RTP stream ids a sender sends, from `a=simulcast` (RFC 8853), else from `a=ssrc-group:SIM`. */
  readonly layers: readonly { rid: string | null }[];
}

export interface ParsedSdp {
  readonly lines: readonly SdpLine[];
  readonly media: readonly MediaSection[];
  /** The ending of the first line: what new lines get when their neighbour has none. */
  readonly eol: '\r\n' | '\n';
}

/** Larger than any description a browser writes (tens of kB for dozens of sections). */
export const MAX_SDP_CHARS = 256 * 1024;

// RFC 4566 §9: a type letter, '=', then text without CR, LF or NUL.
const LINE = /^[a-z]=[^\r\n\0]*$/;
const MEDIA = /^m=([^ ]+) (\d{1,5})(?:\/\d{1,5})? ([^ ]+)(?: [^ ]+)+$/;
export const BANDWIDTH = /^b=([A-Za-z0-9!#$%&'*+\-.^_`{|}~]+):(\d{1,15})$/;
const DIRECTIONS: ReadonlySet<string> = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive']);
// Inside a media description only these types may appear (RFC 4566 §5).
const MEDIA_LEVEL: ReadonlySet<string> = new Set(['i', 'c', 'b', 'k', 'a']);

/**
 * Split and check a session description. Pure; linear in the input. Throws SdpError for
 * anything a browser would refuse, before anything is edited.
 */
export function parseSdp(sdp: unknown): ParsedSdp {
  if (typeof sdp !== 'string') throw new SdpError('not-a-string', 0, `expected a string, got ${sdp === null ? 'null' : typeof sdp}`);
  if (sdp.length > MAX_SDP_CHARS) throw new SdpError('too-large', 0, `${sdp.length} characters, more than ${MAX_SDP_CHARS}`);
  const lines = splitLines(sdp);
  if (lines.length === 0 || lines[0]!.text !== 'v=0') throw new SdpError('not-sdp', 1, "the first line must be 'v=0'");
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!.text;
    if (!LINE.test(text)) throw new SdpError('bad-line', i + 1, text === '' ? 'an empty line' : `not '<letter>=<value>': ${clip(text)}`);
    if (text.startsWith('b=') && !BANDWIDTH.test(text)) throw new SdpError('bad-bandwidth', i + 1, `not 'b=<type>:<number>': ${clip(text)}`);
  }
  const eol = lines[0]!.eol === '\n' ? '\n' : '\r\n';

  let sessionDirection: Direction = 'sendrecv';
  let i = 1;
  for (; i < lines.length && !lines[i]!.text.startsWith('m='); i++) {
    const a = lines[i]!.text;
    if (a.startsWith('a=') && DIRECTIONS.has(a.slice(2))) sessionDirection = a.slice(2) as Direction;
  }
  const media: MediaSection[] = [];
  while (i < lines.length) {
    const start = i;
    const m = MEDIA.exec(lines[i]!.text);
    if (!m || Number(m[2]) > 65535) throw new SdpError('bad-media', i + 1, `not 'm=<media> <port> <proto> <fmt> …': ${clip(lines[i]!.text)}`);
    for (i++; i < lines.length && !lines[i]!.text.startsWith('m='); i++) {
      const type = lines[i]!.text[0]!;
      if (!MEDIA_LEVEL.has(type)) throw new SdpError('unexpected-line', i + 1, `'${type}=' cannot appear inside a media section`);
    }
    media.push(describeSection(lines, start, i, m[1]!, Number(m[2]), sessionDirection));
  }
  return { lines, media, eol };
}

function describeSection(lines: readonly SdpLine[], start: number, end: number, kind: string, port: number, sessionDirection: Direction): MediaSection {
  let bandwidthAt = start + 1;
  while (bandwidthAt < end && 'icb'.includes(lines[bandwidthAt]!.text[0]!)) bandwidthAt++;
  let direction: Direction | null = null;
  let mid: string | null = null;
  let bundleOnly = false;
  let simulcast: string | null = null;
  let simGroup: string | null = null;
  for (let j = bandwidthAt; j < end; j++) {
    const t = lines[j]!.text;
    if (!t.startsWith('a=')) continue;
    const a = t.slice(2);
    if (DIRECTIONS.has(a)) direction = a as Direction;
    else if (a.startsWith('mid:')) mid = a.slice(4);
    else if (a === 'bundle-only') bundleOnly = true;
    else if (a.startsWith('simulcast:')) simulcast ??= a.slice(10);
    else if (a.startsWith('ssrc-group:SIM ')) simGroup ??= a.slice(15);
  }
  return {
    kind,
    port,
    rejected: port === 0 && !bundleOnly,
    direction: direction ?? sessionDirection,
    mid,
    start,
    end,
    bandwidthAt,
    layers: layersOf(simulcast, simGroup),
  };
}

/**
 * `a=simulcast:send h;m;l` (or `recv …` in an answer, RFC 8853 §5.1): one layer per
 * `;`-separated stream, its first alternative, `~` (paused) stripped. `a=ssrc-group:SIM`
 * (Chrome's older form) lists one SSRC per layer, with no rid.
 */
function layersOf(simulcast: string | null, simGroup: string | null): { rid: string | null }[] {
  if (simulcast !== null) {
    const parts = simulcast.trim().split(/\s+/);
    for (let k = 0; k + 1 < parts.length; k += 2) {
      if (parts[k] !== 'send' && parts[k] !== 'recv') continue;
      // Older Firefox wrote the draft form, `a=simulcast: send rid=h;m;l`.
      const rids = parts[k + 1]!.replace(/^rid=/, '').split(';').map((alt) => alt.split(',')[0]!.replace(/^~/, '')).filter((r) => r !== '');
      if (rids.length > 0) return rids.map((rid) => ({ rid }));
    }
  }
  if (simGroup !== null) {
    const ssrcs = simGroup.trim().split(/\s+/).filter((s) => s !== '');
    if (ssrcs.length > 0) return ssrcs.map(() => ({ rid: null }));
  }
  return [{ rid: null }];
}

/** Lines with their own endings; a final line ending leaves no empty line behind. */
function splitLines(sdp: string): SdpLine[] {
  const lines: SdpLine[] = [];
  let i = 0;
  while (i < sdp.length) {
    const nl = sdp.indexOf('\n', i);
    if (nl === -1) {
      lines.push({ text: sdp.slice(i), eol: '' });
      break;
    }
    const cr = nl > i && sdp.charCodeAt(nl - 1) === 13;
    lines.push({ text: sdp.slice(i, cr ? nl - 1 : nl), eol: cr ? '\r\n' : '\n' });
    i = nl + 1;
  }
  return lines;
}

function clip(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}
