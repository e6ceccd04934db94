import fc from 'fast-check';
import { shapeSdp, SdpError, type SdpBandwidthPlan } from '../../lib/index';
import { fixture, FIREFOX_OFFER } from './sdp-text';

const SEEDS = [fixture('chromium-offer.sdp'), fixture('chromium-answer.sdp'), fixture('chromium-simulcast-offer.sdp'), FIREFOX_OFFER, FIREFOX_OFFER.replace(/\r\n/g, '\n')];
const MANAGED = /^b=(AS|TIAS):/i;
const PLAN: SdpBandwidthPlan = { bitsPerSecond: 750_000 };
// KB_FUZZ_RUNS=20000 for a longer run (20,000 of each passed before this was committed).

/** Lines with their endings, so a mutation can keep, move or change an ending. */
const split = (text: string): string[] => text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
const strip = (text: string): string => split(text).filter((l) => !MANAGED.test(l.replace(/\r?\n$/, ''))).join('').replace(/\r?\n$/, '');

const garbage = fc.oneof(
  fc.constantFrom('b=AS:100', 'b=TIAS:1', 'b=as:7', 'a=inactive', 'a=bundle-only', 'm=video 0 RTP/AVP 96', 'm=audio 9 RTP/AVP 0', 'c=IN IP4 0.0.0.0', 'i=x', 'b=CT:5', 'a=simulcast:send a;b', 'a=ssrc-group:SIM 1 2', '', 'o=- 1 1 IN IP4 0.0.0.0', 'b=AS:', 'x', 'a=\0', 'm=video 99999 RTP/AVP 1'),
  fc.string({ maxLength: 20 }),
);
const ending = fc.constantFrom('\r\n', '\n', '', '\r');

/** One line-level mutation of an SDP: drop, duplicate, move or insert a line, or change an ending. */
const mutated = fc
  .tuple(fc.constantFrom(...SEEDS), fc.array(fc.tuple(fc.nat(4), fc.nat(), fc.nat(), garbage, ending), { minLength: 1, maxLength: 4 }))
  .map(([seed, steps]) => {
    const lines = split(seed);
    for (const [op, i, j, text, eol] of steps) {
      const a = i % lines.length;
      const b = j % lines.length;
      if (op === 0 && lines.length > 1) lines.splice(a, 1);
      else if (op === 1) lines.splice(a, 0, lines[b]!);
      else if (op === 2) [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      else if (op === 3) lines.splice(a, 0, text + (eol || '\r\n'));
      else lines[a] = lines[a]!.replace(/\r?\n$/, '') + eol;
    }
    return lines.join('');
  });

describe('shapeSdp on mutated and arbitrary input', () => {
  it('either refuses with an SdpError, or changes nothing but the AS/TIAS lines, and is idempotent', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(mutated, (text) => {
        let out: string;
        try {
          out = shapeSdp(text, PLAN).sdp;
        } catch (err) {
          if (!(err instanceof SdpError)) throw err;
          refused++;
          return;
        }
        accepted++;
        expect(strip(out)).toBe(strip(text));
        expect(shapeSdp(out, PLAN).sdp).toBe(out);
      }),
      { numRuns: Number(process.env.KB_FUZZ_RUNS ?? 400) },
    );
    // Both branches were exercised: the property checked something either way.
    expect(accepted).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(20);
  });

  it('throws nothing but SdpError for arbitrary text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ maxLength: 300 }).map((s) => `v=0\r\n${s}`)), (text) => {
        try {
          shapeSdp(text, PLAN);
        } catch (err) {
          expect(err).toBeInstanceOf(SdpError);
        }
      }),
      { numRuns: Number(process.env.KB_FUZZ_RUNS ?? 500) },
    );
  });
});
