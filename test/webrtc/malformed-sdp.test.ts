import { setSdpBandwidth, shapeSdp, SdpError, OptionError, type SdpErrorReason, type SdpBandwidthPlan } from '../../lib/index';
import { fixture, sdp } from './sdp-text';

const P300: SdpBandwidthPlan = { bitsPerSecond: 300_000 };
const head = ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0'];
const video = ['m=video 9 RTP/AVP 96', 'c=IN IP4 0.0.0.0', 'a=rtpmap:96 VP8/90000'];

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
}

describe('malformed SDP', () => {
  it.each<[string, unknown, SdpErrorReason, number]>([
    ['undefined', undefined, 'not-a-string', 0],
    ['a Buffer', Buffer.from(sdp([...head, ...video])), 'not-a-string', 0],
    ['an RTCSessionDescription-like object', { type: 'offer', sdp: sdp(head) }, 'not-a-string', 0],
    ['an empty string', '', 'not-sdp', 1],
    ['version 1', sdp(['v=1', ...head.slice(1)]), 'not-sdp', 1],
    ['an HTML page', '<!doctype html><html></html>', 'not-sdp', 1],
    ['a leading blank line', `\r\n${sdp(head)}`, 'not-sdp', 1],
    ['a blank line in the middle', sdp([...head, '', ...video]), 'bad-line', 5],
    ['a trailing blank line', `${sdp([...head, ...video])}\r\n`, 'bad-line', 8],
    ['a line without "="', sdp([...head, 'hello', ...video]), 'bad-line', 5],
    ['an upper-case type', sdp([...head, 'A=sendrecv', ...video]), 'bad-line', 5],
    ['a bare CR inside a line', sdp([...head, ...video]).replace('a=rtpmap', 'a=rt\rpmap'), 'bad-line', 7],
    ['a CR ending the last line alone', `${sdp(head)}a=x\r`, 'bad-line', 5],
    ['a NUL byte', sdp([...head, 'a=x\0y', ...video]), 'bad-line', 5],
    ['an m= line without a port', sdp([...head, 'm=video', 'c=IN IP4 0.0.0.0']), 'bad-media', 5],
    ['an m= line without formats', sdp([...head, 'm=video 9 RTP/AVP']), 'bad-media', 5],
    ['a port past 65535', sdp([...head, 'm=video 70000 RTP/AVP 96']), 'bad-media', 5],
    ['a non-numeric port', sdp([...head, 'm=video nine RTP/AVP 96']), 'bad-media', 5],
    ['a b= line without a number', sdp([...head, 'm=video 9 RTP/AVP 96', 'b=AS:']), 'bad-bandwidth', 6],
    ['a negative b=AS', sdp([...head, 'm=video 9 RTP/AVP 96', 'b=AS:-5']), 'bad-bandwidth', 6],
    ['a b=TIAS with a unit', sdp([...head, 'm=video 9 RTP/AVP 96', 'b=TIAS:300kbps']), 'bad-bandwidth', 6],
    ['a b= line without a type', sdp([...head, 'b=:100', ...video]), 'bad-bandwidth', 5],
    ['a session line inside a media section', sdp([...head, ...video, 's=again']), 'unexpected-line', 8],
    ['a t= line inside a media section', sdp([...head, ...video, 't=0 0']), 'unexpected-line', 8],
    ['more than 256 KiB', sdp([...head, ...video, ...Array.from({ length: 60_000 }, () => 'a=x')]), 'too-large', 0],
  ])('refuses %s with SdpError %s at line %d', (_what, input, reason, line) => {
    const err = caught(() => setSdpBandwidth(input as string, P300));
    expect(err).toBeInstanceOf(SdpError);
    expect(err).toMatchObject({ code: 'ERR_BANDWIDTH_SDP', reason, line, name: 'SdpError' });
    expect((err as Error).message).toMatch(/^koa-bandwidth: malformed SDP/);
  });

  it('refuses the whole description when only its last section is bad: no half-edited result', () => {
    const good = fixture('chromium-offer.sdp');
    const bad = `${good}m=video 9 UDP/TLS/RTP/SAVPF 96\r\nb=AS:lots\r\n`;
    const lines = good.split('\r\n').length;
    expect(caught(() => shapeSdp(bad, P300))).toMatchObject({ reason: 'bad-bandwidth', line: lines + 1 });
  });

  it('reads a 100 kB line in linear time', () => {
    const long = sdp([...head, `a=x${'y'.repeat(100_000)}`, ...video]);
    const t0 = process.hrtime.bigint();
    expect(setSdpBandwidth(long, P300)).toContain('b=AS:300');
    // A regex that backtracks would take seconds on this; a linear scan takes well under 100 ms.
    expect(Number(process.hrtime.bigint() - t0) / 1e6).toBeLessThan(500);
  });
});

describe('bad plans', () => {
  it.each<[string, unknown, RegExp]>([
    ['no plan', undefined, /option `plan` must be an object/],
    ['a zero rate', { bitsPerSecond: 0 }, /option `plan.bitsPerSecond` must be a number > 0 and ≤ 1000000000000, got 0/],
    ['a negative rate', { bitsPerSecond: -1 }, /`plan.bitsPerSecond` must be a number > 0 and ≤ 1000000000000, got -1/],
    ['an infinite rate', { bitsPerSecond: Infinity }, /`plan.bitsPerSecond` must be .*, got Infinity/],
    ['a rate past 1 Tbit/s (it would print as 1e+21)', { bitsPerSecond: 1e21 }, /`plan.bitsPerSecond` must be .*, got 1e\+21/],
    ['a string rate', { bitsPerSecond: '300' }, /`plan.bitsPerSecond` must be .*, got "300"/],
    ['a negative share', { bitsPerSecond: 1, shares: { audio: -1 } }, /`plan.shares.audio` must be a finite number ≥ 0, got -1/],
    ['a NaN share', { bitsPerSecond: 1, shares: { video: NaN } }, /`plan.shares.video` must be a finite number ≥ 0, got NaN/],
    ['two zero shares', { bitsPerSecond: 1, shares: { audio: 0, video: 0 } }, /`plan.shares` must be weights that are not both 0/],
    ['an RTCP fraction over 1', { bitsPerSecond: 1, rtcp: { rs: 2, rr: 0 } }, /`plan.rtcp.rs` must be a fraction from 0 to 1, got 2/],
    ['an RTCP object without rr', { bitsPerSecond: 1, rtcp: { rs: 0.1 } }, /`plan.rtcp.rr` must be a fraction from 0 to 1, got undefined/],
    ['an unknown key', { bitsPerSecond: 1, kbps: 300 }, /`plan.kbps` must be one of plan.bitsPerSecond, plan.shares, plan.rtcp/],
  ])('rejects %s with an OptionError that names it', (_what, plan, message) => {
    const err = caught(() => setSdpBandwidth(sdp([...head, ...video]), plan as SdpBandwidthPlan));
    expect(err).toBeInstanceOf(OptionError);
    expect((err as Error).message).toMatch(message);
  });

  it('checks the plan before the SDP', () => {
    expect(caught(() => setSdpBandwidth('not sdp', { bitsPerSecond: 0 }))).toBeInstanceOf(OptionError);
  });
});
