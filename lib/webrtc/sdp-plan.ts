import { OptionError } from '../errors';
import type { MediaSection } from './parse-sdp';

/** What a call may use, for the SDP writer: a total, and how audio and video share it. */
export interface SdpBandwidthPlan {
  /** The whole call's rate, bits/s (> 0, ≤ 1e12). */
  bitsPerSecond: number;
  /**
   * Relative weights of audio and video (≥ 0, not both 0). Default `{ audio: 1, video: 9 }`:
   * 30 kbps of a 300 kbps plan for the voice. A kind with no active section gives its share
   * to the other; sections of one kind split their kind's share equally. A share of 0 leaves
   * that kind's sections alone and gives the whole total to the other kind.
   */
  shares?: { audio?: number; video?: number };
  /**
   * Also write `b=RS` and `b=RR` (RFC 3556), as fractions of each section's rate (0–1).
   * `RTCP_RFC3550` is the RTP default made explicit: 5 %, a quarter for senders.
   */
  rtcp?: { rs: number; rr: number };
}

/** RFC 3550 §6.2's default RTCP bandwidth, 5 % of the session's, 1/4 to senders and 3/4 to receivers. */
export const RTCP_RFC3550: Readonly<{ rs: number; rr: number }> = Object.freeze({ rs: 0.0125, rr: 0.0375 });

/** 1 Tbit/s: more than any call, and small enough to print as digits (no `1e+21` in an SDP). */
export const MAX_BITS_PER_SECOND = 1e12;

const DEFAULT_SHARES = Object.freeze({ audio: 1, video: 9 });

/** A plan checked once, with its defaults. */
export interface CheckedSdpPlan {
  bitsPerSecond: number;
  audio: number;
  video: number;
  rtcp: { rs: number; rr: number } | null;
}

/** Validate a plan; an OptionError names the field, its range and the value it got. */
export function checkSdpPlan(plan: SdpBandwidthPlan, name = 'plan'): CheckedSdpPlan {
  if (plan === null || typeof plan !== 'object') throw new OptionError(name, 'an object { bitsPerSecond, shares?, rtcp? }', plan);
  for (const k of Object.keys(plan)) if (!['bitsPerSecond', 'shares', 'rtcp'].includes(k)) throw new OptionError(`${name}.${k}`, `one of ${name}.bitsPerSecond, ${name}.shares, ${name}.rtcp`, (plan as unknown as Record<string, unknown>)[k]);
  const bps = plan.bitsPerSecond;
  if (typeof bps !== 'number' || !Number.isFinite(bps) || bps <= 0 || bps > MAX_BITS_PER_SECOND) throw new OptionError(`${name}.bitsPerSecond`, `a number > 0 and ≤ ${MAX_BITS_PER_SECOND}`, bps);
  const shares = plan.shares ?? {};
  if (shares === null || typeof shares !== 'object') throw new OptionError(`${name}.shares`, 'an object { audio?, video? }', shares);
  const audio = shares.audio ?? DEFAULT_SHARES.audio;
  const video = shares.video ?? DEFAULT_SHARES.video;
  for (const [k, v] of [['audio', audio], ['video', video]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new OptionError(`${name}.shares.${k}`, 'a finite number ≥ 0', v);
  }
  if (audio + video === 0) throw new OptionError(`${name}.shares`, 'weights that are not both 0', shares);
  let rtcp: CheckedSdpPlan['rtcp'] = null;
  if (plan.rtcp !== undefined) {
    if (plan.rtcp === null || typeof plan.rtcp !== 'object') throw new OptionError(`${name}.rtcp`, 'an object { rs, rr }', plan.rtcp);
    for (const k of ['rs', 'rr'] as const) {
      const v = plan.rtcp[k];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) throw new OptionError(`${name}.rtcp.${k}`, 'a fraction from 0 to 1', v);
    }
    rtcp = { rs: plan.rtcp.rs, rr: plan.rtcp.rr };
  }
  return { bitsPerSecond: bps, audio, video, rtcp };
}

/** Sections that get a rate: audio and video that are neither rejected nor inactive. */
export function isShaped(s: MediaSection): boolean {
  return (s.kind === 'audio' || s.kind === 'video') && !s.rejected && s.direction !== 'inactive';
}

/**
 * The rate of each section, bits/s (null: left alone). Audio and video split the total by
 * their shares; a kind without an active section gives its share to the other, and a kind
 * whose share is 0 is left alone while the other takes the whole total.
 */
export function allocate(media: readonly MediaSection[], plan: CheckedSdpPlan): (number | null)[] {
  const count = { audio: 0, video: 0 };
  for (const s of media) if (isShaped(s)) count[s.kind as 'audio' | 'video']++;
  const weight = { audio: count.audio > 0 ? plan.audio : 0, video: count.video > 0 ? plan.video : 0 };
  const total = weight.audio + weight.video;
  return media.map((s) => {
    if (!isShaped(s)) return null;
    const kind = s.kind as 'audio' | 'video';
    if (weight[kind] === 0) return null;
    // At least 1 bit/s: a 0 would read as "no limit" in b=AS and in maxBitrate alike.
    return Math.max(1, Math.floor((plan.bitsPerSecond * weight[kind]) / total / count[kind]));
  });
}
