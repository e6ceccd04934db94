import { shapeSdp, setSdpBandwidth, RTCP_RFC3550, type SdpBandwidthPlan } from '../../lib/index';
import { bandwidthLines, fixture, FIREFOX_OFFER, sdp, without } from './sdp-text';

const P300: SdpBandwidthPlan = { bitsPerSecond: 300_000 };
const ADDED = /^b=(AS|TIAS):/;

describe('setSdpBandwidth', () => {
  describe('on descriptions Chromium wrote', () => {
    it.each([
      ['the offer (audio and video, sendrecv)', 'chromium-offer.sdp', [['b=AS:30', 'b=TIAS:30000'], ['b=AS:270', 'b=TIAS:270000']]],
      ['the answer (recvonly)', 'chromium-answer.sdp', [['b=AS:30', 'b=TIAS:30000'], ['b=AS:270', 'b=TIAS:270000']]],
      ['a simulcast offer with a data channel', 'chromium-simulcast-offer.sdp', [['b=AS:300', 'b=TIAS:300000'], []]],
    ])('writes b=AS and b=TIAS into %s and changes nothing else', (_what, name, expected) => {
      const input = fixture(name);
      const out = setSdpBandwidth(input, P300);
      expect(bandwidthLines(out)).toEqual(expected);
      expect(without(out, ADDED)).toBe(input);
      // Right after the c= line (RFC 4566 §5: m=, i=, c=, b=, k=, a=), with CRLF.
      expect(out.match(/\r\nm=(audio|video)[^\r]*\r\nc=[^\r]*\r\nb=AS:\d+\r\nb=TIAS:\d+\r\na=/g)).toHaveLength(expected.filter((e) => e.length > 0).length);
      expect(out).not.toMatch(/[^\r]\n/);
    });

    it('gives each simulcast layer an equal part of the section, by rid', () => {
      const { parameters } = shapeSdp(fixture('chromium-simulcast-offer.sdp'), P300);
      expect(parameters).toEqual([
        { mid: '0', index: 0, kind: 'video', maxBitrate: 300_000, encodings: [{ rid: 'h', maxBitrate: 100_000 }, { rid: 'm', maxBitrate: 100_000 }, { rid: 'l', maxBitrate: 100_000 }] },
      ]);
    });

    it('gives the sender parameters of the offer, section by section', () => {
      const { parameters } = shapeSdp(fixture('chromium-offer.sdp'), { bitsPerSecond: 1_500_000 });
      expect(parameters).toEqual([
        { mid: '0', index: 0, kind: 'audio', maxBitrate: 150_000, encodings: [{ maxBitrate: 150_000 }] },
        { mid: '1', index: 1, kind: 'video', maxBitrate: 1_350_000, encodings: [{ maxBitrate: 1_350_000 }] },
      ]);
    });

    it('gives the same result when applied twice (a relay may edit the offer and its echo)', () => {
      const once = setSdpBandwidth(fixture('chromium-offer.sdp'), P300);
      expect(setSdpBandwidth(once, P300)).toBe(once);
      const other = setSdpBandwidth(once, { bitsPerSecond: 1_000_000 });
      expect(bandwidthLines(other)).toEqual([['b=AS:100', 'b=TIAS:100000'], ['b=AS:900', 'b=TIAS:900000']]);
      expect(without(other, ADDED)).toBe(fixture('chromium-offer.sdp'));
    });
  });

  describe('on hand-written descriptions', () => {
    const head = ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0'];
    const audio = (extra: string[] = [], port = 9): string[] => [`m=audio ${port} UDP/TLS/RTP/SAVPF 111`, 'c=IN IP4 0.0.0.0', ...extra, 'a=rtpmap:111 opus/48000/2'];
    const video = (extra: string[] = [], port = 9): string[] => [`m=video ${port} UDP/TLS/RTP/SAVPF 96`, 'c=IN IP4 0.0.0.0', ...extra, 'a=rtpmap:96 VP8/90000'];
    const data = ['m=application 9 UDP/DTLS/SCTP webrtc-datachannel', 'c=IN IP4 0.0.0.0', 'b=AS:30', 'a=sctp-port:5000'];

    it.each<[string, string, SdpBandwidthPlan, string]>([
      [
        'Firefox-style: an existing b=TIAS is replaced in place, audio gets its lines',
        FIREFOX_OFFER,
        P300,
        FIREFOX_OFFER.replace('m=audio 9 UDP/TLS/RTP/SAVPF 109 9 0 8 101\r\nc=IN IP4 0.0.0.0\r\n', 'm=audio 9 UDP/TLS/RTP/SAVPF 109 9 0 8 101\r\nc=IN IP4 0.0.0.0\r\nb=AS:30\r\nb=TIAS:30000\r\n').replace('b=TIAS:2000000\r\n', 'b=AS:270\r\nb=TIAS:270000\r\n'),
      ],
      [
        'two video sections split the video share equally',
        sdp([...head, ...audio(), ...video(['a=mid:1']), ...video(['a=mid:2'])]),
        P300,
        sdp([...head, ...audio(['b=AS:30', 'b=TIAS:30000']), ...video(['b=AS:135', 'b=TIAS:135000', 'a=mid:1']), ...video(['b=AS:135', 'b=TIAS:135000', 'a=mid:2'])]),
      ],
      [
        'a rejected section (port 0) is left alone, and the others share the plan',
        sdp([...head, ...audio(), ...video([], 0), ...video(['a=mid:2'])]),
        P300,
        sdp([...head, ...audio(['b=AS:30', 'b=TIAS:30000']), ...video([], 0), ...video(['b=AS:270', 'b=TIAS:270000', 'a=mid:2'])]),
      ],
      [
        'port 0 with a=bundle-only is not rejected (RFC 8843)',
        sdp([...head, ...video([], 9), ...video(['a=bundle-only'], 0)]),
        P300,
        sdp([...head, ...video(['b=AS:150', 'b=TIAS:150000']), ...video(['b=AS:150', 'b=TIAS:150000', 'a=bundle-only'], 0)]),
      ],
      [
        'an inactive section is left alone; video takes the whole plan when audio is inactive',
        sdp([...head, ...audio(['a=inactive']), ...video()]),
        P300,
        sdp([...head, ...audio(['a=inactive']), ...video(['b=AS:300', 'b=TIAS:300000'])]),
      ],
      [
        'a session-level a=inactive holds for sections without their own direction',
        sdp([...head, 'a=inactive', ...audio(), ...video(['a=sendonly'])]),
        P300,
        sdp([...head, 'a=inactive', ...audio(), ...video(['b=AS:300', 'b=TIAS:300000', 'a=sendonly'])]),
      ],
      [
        "a data channel keeps its own b=AS, and gets nothing",
        sdp([...head, ...data, ...video()]),
        P300,
        sdp([...head, ...data, ...video(['b=AS:300', 'b=TIAS:300000'])]),
      ],
      [
        'LF line endings stay LF',
        sdp([...head, ...audio(), ...video()], '\n'),
        P300,
        sdp([...head, ...audio(['b=AS:30', 'b=TIAS:30000']), ...video(['b=AS:270', 'b=TIAS:270000'])], '\n'),
      ],
      [
        'mixed endings: each line keeps its own, new lines take the one before them',
        'v=0\r\no=- 1 2 IN IP4 127.0.0.1\ns=-\r\nt=0 0\nm=video 9 RTP/AVP 96\nc=IN IP4 0.0.0.0\r\na=rtpmap:96 VP8/90000\n',
        P300,
        'v=0\r\no=- 1 2 IN IP4 127.0.0.1\ns=-\r\nt=0 0\nm=video 9 RTP/AVP 96\nc=IN IP4 0.0.0.0\r\nb=AS:300\r\nb=TIAS:300000\r\na=rtpmap:96 VP8/90000\n',
      ],
      [
        'no ending after the last line: still none',
        'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 RTP/AVP 96\r\nc=IN IP4 0.0.0.0',
        P300,
        'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 RTP/AVP 96\r\nc=IN IP4 0.0.0.0\r\nb=AS:300\r\nb=TIAS:300000',
      ],
      [
        'a section that is only its m= line, last, without an ending',
        'v=0\no=- 1 2 IN IP4 127.0.0.1\ns=-\nt=0 0\nc=IN IP4 0.0.0.0\nm=video 9 RTP/AVP 96',
        P300,
        'v=0\no=- 1 2 IN IP4 127.0.0.1\ns=-\nt=0 0\nc=IN IP4 0.0.0.0\nm=video 9 RTP/AVP 96\nb=AS:300\nb=TIAS:300000',
      ],
      [
        'b= lines go after i= and c=, and after a b=CT that stays',
        sdp([...head, 'm=video 9 RTP/AVP 96', 'i=camera', 'c=IN IP4 0.0.0.0', 'b=AS:5000', 'b=CT:800', 'a=rtpmap:96 VP8/90000']),
        P300,
        sdp([...head, 'm=video 9 RTP/AVP 96', 'i=camera', 'c=IN IP4 0.0.0.0', 'b=CT:800', 'b=AS:300', 'b=TIAS:300000', 'a=rtpmap:96 VP8/90000']),
      ],
      [
        'misplaced and lower-case AS/TIAS lines are replaced; session-level ones are not touched',
        sdp([...head.slice(0, 3), 'b=AS:9000', 't=0 0', 'm=video 9 RTP/AVP 96', 'c=IN IP4 0.0.0.0', 'a=rtpmap:96 VP8/90000', 'b=as:10', 'b=tias:99']),
        P300,
        sdp([...head.slice(0, 3), 'b=AS:9000', 't=0 0', 'm=video 9 RTP/AVP 96', 'c=IN IP4 0.0.0.0', 'b=AS:300', 'b=TIAS:300000', 'a=rtpmap:96 VP8/90000']),
      ],
      [
        'b=RS and b=RR when asked (RFC 3556), replacing existing ones',
        sdp([...head, ...video(['b=RR:0'])]),
        { bitsPerSecond: 800_000, rtcp: RTCP_RFC3550 },
        sdp([...head, ...video(['b=AS:800', 'b=TIAS:800000', 'b=RS:10000', 'b=RR:30000'])]),
      ],
      [
        'existing b=RS and b=RR stay when RTCP is not asked for',
        sdp([...head, ...video(['b=RS:0', 'b=RR:0'])]),
        P300,
        sdp([...head, ...video(['b=RS:0', 'b=RR:0', 'b=AS:300', 'b=TIAS:300000'])]),
      ],
      [
        'shares: audio 1, video 4',
        sdp([...head, ...audio(), ...video()]),
        { bitsPerSecond: 500_000, shares: { audio: 1, video: 4 } },
        sdp([...head, ...audio(['b=AS:100', 'b=TIAS:100000']), ...video(['b=AS:400', 'b=TIAS:400000'])]),
      ],
      [
        'a share of 0 leaves that kind alone and gives the other the whole plan',
        sdp([...head, ...audio(['b=AS:64']), ...video()]),
        { bitsPerSecond: 500_000, shares: { audio: 0 } },
        sdp([...head, ...audio(['b=AS:64']), ...video(['b=AS:500', 'b=TIAS:500000'])]),
      ],
      [
        'audio alone takes the whole plan',
        sdp([...head, ...audio()]),
        { bitsPerSecond: 64_000 },
        sdp([...head, ...audio(['b=AS:64', 'b=TIAS:64000'])]),
      ],
      [
        'rates round down, and b=AS never reads 0 (no limit) for a tiny plan',
        sdp([...head, ...audio(), ...video()]),
        { bitsPerSecond: 1_999 },
        sdp([...head, ...audio(['b=AS:1', 'b=TIAS:199']), ...video(['b=AS:1', 'b=TIAS:1799'])]),
      ],
      [
        'text and other media kinds are left alone',
        sdp([...head, 'm=text 9 RTP/AVP 98', 'c=IN IP4 0.0.0.0', 'a=rtpmap:98 t140/1000', ...video()]),
        P300,
        sdp([...head, 'm=text 9 RTP/AVP 98', 'c=IN IP4 0.0.0.0', 'a=rtpmap:98 t140/1000', ...video(['b=AS:300', 'b=TIAS:300000'])]),
      ],
      [
        'a description without media is returned as it is',
        sdp(head),
        P300,
        sdp(head),
      ],
    ])('%s', (_what, input, plan, expected) => {
      expect(setSdpBandwidth(input, plan)).toBe(expected);
    });

    it('never gives a section 0 (no limit): a 5 bit/s plan over three sections', () => {
      const { sdp: out, parameters } = shapeSdp(sdp([...head, ...audio(), ...video(), ...video()]), { bitsPerSecond: 5 });
      expect(parameters.map((p) => p.maxBitrate)).toEqual([1, 2, 2]);
      expect(bandwidthLines(out)).toEqual([['b=AS:1', 'b=TIAS:1'], ['b=AS:1', 'b=TIAS:2'], ['b=AS:1', 'b=TIAS:2']]);
    });

    it('reads legacy simulcast (a=ssrc-group:SIM) as one encoding per SSRC, without rids', () => {
      const text = sdp([...head, ...video(['a=ssrc-group:SIM 11 22', 'a=ssrc:11 cname:x', 'a=ssrc:22 cname:x'])]);
      expect(shapeSdp(text, P300).parameters[0]?.encodings).toEqual([{ maxBitrate: 150_000 }, { maxBitrate: 150_000 }]);
    });

    it('reads an answer\'s a=simulcast:recv and skips paused (~) and alternative rids', () => {
      const text = sdp([...head, ...video(['a=rid:f recv', 'a=rid:h recv', 'a=simulcast:recv f,g;~h'])]);
      expect(shapeSdp(text, P300).parameters[0]?.encodings).toEqual([{ rid: 'f', maxBitrate: 150_000 }, { rid: 'h', maxBitrate: 150_000 }]);
    });

    it("reads the draft form older Firefox wrote, 'a=simulcast: send rid=…'", () => {
      const text = sdp([...head, ...video(['a=rid:a send', 'a=rid:b send', 'a=simulcast: send rid=a;b'])]);
      expect(shapeSdp(text, P300).parameters[0]?.encodings).toEqual([{ rid: 'a', maxBitrate: 150_000 }, { rid: 'b', maxBitrate: 150_000 }]);
    });

    it('does not modify its input', () => {
      const input = FIREFOX_OFFER;
      const copy = `${input}`;
      setSdpBandwidth(input, P300);
      expect(input).toBe(copy);
    });
  });
});
