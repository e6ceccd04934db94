import { parseSdp, BANDWIDTH, type SdpLine } from './parse-sdp';
import { allocate, checkSdpPlan, type SdpBandwidthPlan } from './sdp-plan';

/**
 * One media section's rate, in the form `RTCRtpSender.setParameters()` takes: the sender of
 * that section sets `encodings[i].maxBitrate` (bits/s, like `b=TIAS`).
 */
export interface SectionParameters {
  /** `a=mid`, which is the transceiver's `mid`; null in descriptions without one. */
  mid: string | null;
  /** 0-based position of the section among the `m=` lines. */
  index: number;
  kind: 'audio' | 'video';
  /** The section's whole rate, bits/s. */
  maxBitrate: number;
  /** One per simulcast layer (its `rid`), else one; the section's rate split equally. */
  encodings: { rid?: string; maxBitrate: number }[];
}

/** The edited description and the same limits as sender parameters. */
export interface ShapedSdp {
  sdp: string;
  parameters: SectionParameters[];
}

/**
 * Write the plan into a session description: in every audio and video section that is not
 * rejected (port 0) or inactive, `b=AS` (kbps, RFC 4566; what Chrome reads) and `b=TIAS`
 * (bps, RFC 3890; what Firefox reads), and `b=RS`/`b=RR` (RFC 3556) when the plan asks.
 * Existing lines of those kinds in those sections are replaced; every other byte (lines,
 * their order, CRLF or LF endings) is kept. Data channels are never touched. Pure.
 *
 * @example
 * ```ts
 * const { sdp, parameters } = shapeSdp(offer.sdp, { bitsPerSecond: 500_000 });
 * // parameters[1] → { mid: '1', kind: 'video', maxBitrate: 450000, encodings: [{ maxBitrate: 450000 }] }
 * ```
 * @throws SdpError (code `ERR_BANDWIDTH_SDP`) for a malformed description, OptionError for a bad plan.
 */
export function shapeSdp(sdp: string, plan: SdpBandwidthPlan): ShapedSdp {
  const checked = checkSdpPlan(plan);
  const parsed = parseSdp(sdp);
  const rates = allocate(parsed.media, checked);
  const kinds = checked.rtcp ? MANAGED_WITH_RTCP : MANAGED;

  // Which lines go, and what follows which line: decided in full before any output.
  const drop = new Set<number>();
  const after = new Map<number, string[]>();
  const parameters: SectionParameters[] = [];
  parsed.media.forEach((s, index) => {
    const bps = rates[index];
    if (bps === null || bps === undefined) return;
    for (let j = s.start + 1; j < s.end; j++) {
      const b = BANDWIDTH.exec(parsed.lines[j]!.text);
      if (b && kinds.has(b[1]!.toUpperCase())) drop.add(j);
    }
    const lines = [`b=AS:${Math.max(1, Math.floor(bps / 1000))}`, `b=TIAS:${Math.max(1, bps)}`];
    if (checked.rtcp) lines.push(`b=RS:${Math.floor(bps * checked.rtcp.rs)}`, `b=RR:${Math.floor(bps * checked.rtcp.rr)}`);
    after.set(s.bandwidthAt - 1, lines);
    const each = Math.max(1, Math.floor(bps / s.layers.length));
    parameters.push({
      mid: s.mid,
      index,
      kind: s.kind as 'audio' | 'video',
      maxBitrate: bps,
      encodings: s.layers.map((l) => (l.rid === null ? { maxBitrate: each } : { rid: l.rid, maxBitrate: each })),
    });
  });
  return { sdp: join(parsed.lines, drop, after, parsed.eol), parameters };
}

/**
 * The edited description only; see `shapeSdp`.
 *
 * @example
 * ```ts
 * answer.sdp = setSdpBandwidth(answer.sdp, { bitsPerSecond: 300_000, shares: { audio: 1, video: 4 } });
 * ```
 * @throws SdpError, OptionError
 */
export function setSdpBandwidth(sdp: string, plan: SdpBandwidthPlan): string {
  return shapeSdp(sdp, plan).sdp;
}

// Bandwidth types compare case-insensitively (RFC 4566 §5.8 names them as tokens; browsers
// write them upper case).
const MANAGED: ReadonlySet<string> = new Set(['AS', 'TIAS']);
const MANAGED_WITH_RTCP: ReadonlySet<string> = new Set(['AS', 'TIAS', 'RS', 'RR']);

/**
 * Reassemble: kept lines with their own endings, new lines with the ending of the line they
 * follow. When that line was the last and had none, it gets the description's ending and
 * the last line written keeps the original's (none).
 */
function join(lines: readonly SdpLine[], drop: ReadonlySet<number>, after: ReadonlyMap<number, string[]>, eol: string): string {
  const out: { text: string; eol: string }[] = [];
  lines.forEach((line, i) => {
    if (!drop.has(i)) out.push(line);
    const extra = after.get(i);
    if (extra) for (const text of extra) out.push({ text, eol: line.eol || eol });
  });
  const lastEol = lines[lines.length - 1]!.eol;
  let s = '';
  for (let i = 0; i < out.length; i++) s += out[i]!.text + (i === out.length - 1 ? lastEol : out[i]!.eol || eol);
  return s;
}
