import { cmcdSid, MAX_VIEWER_ID, viewerKey } from '../../lib/segmented/viewer-key';
import * as entry from '../../lib/index';

const req = (querystring: string, headers: Record<string, string> = {}) => ({ querystring, headers, ip: '203.0.113.7' });

describe('viewerKey', () => {
  it.each([
    ['a CMCD query sid', req('CMCD=br%3D3200%2Csid%3D%22abc%22%2Csu'), {}, { id: 'abc', source: 'cmcd' }],
    ['a CMCD-Session header sid', req('', { 'cmcd-session': 'sid="h1",sf=h' }), {}, { id: 'h1', source: 'cmcd' }],
    ['the query sid before the header', req('CMCD=sid%3D%22q%22', { 'cmcd-session': 'sid="h"' }), {}, { id: 'q', source: 'cmcd' }],
    ['a playback-token param', req('token=T9&x=1'), { param: 'token' }, { id: 'T9', source: 'param' }],
    ['a cookie', req('', { cookie: 'a=1; pb="c%20d"' }), { cookie: 'pb' }, { id: 'c d', source: 'cookie' }],
    ['the param before the cookie', req('token=P', { cookie: 'pb=C' }), { param: 'token', cookie: 'pb' }, { id: 'P', source: 'param' }],
    ['an empty sid, so the IP', req('CMCD=sid%3D%22%22'), {}, { id: '203.0.113.7', source: 'ip' }],
    ['an unterminated sid, so the IP', req('CMCD=sid%3D%22abc'), {}, { id: '203.0.113.7', source: 'ip' }],
    ['a param not configured, so the IP', req('token=T9'), {}, { id: '203.0.113.7', source: 'ip' }],
    ['an empty param and a bad cookie escape', req('token='), { param: 'token', cookie: 'pb' }, { id: '203.0.113.7', source: 'ip' }],
    ['a cookie with a bad escape, kept raw', req('', { cookie: 'pb=%E0%A4%A' }), { cookie: 'pb' }, { id: '%E0%A4%A', source: 'cookie' }],
  ])('%s', (_name, r, options, want) => expect(viewerKey(r, options)).toEqual(want));

  it('cuts a long id, so a client never sizes the state', () => {
    expect(viewerKey(req(`token=${'x'.repeat(10_000)}`), { param: 'token' }).id).toHaveLength(MAX_VIEWER_ID);
  });
});

describe('cmcdSid', () => {
  it.each([
    ['sid="a"', 'a'],
    ['br=3200,sid="a b",su', 'a b'],
    ['cid="x,sid=\\"no\\"",sid="yes"', 'yes'],
    ['cid="x,y",sid="yes"', 'yes'],
    ['bl=21300, sid="spaced"', 'spaced'],
    ['nosid', null],
    ['', null],
    ['"', null],
    [',,,,', null],
  ])('%j → %j', (list, want) => expect(cmcdSid(list)).toBe(want));

  it('reads a hostile list in linear time', () => {
    const t0 = performance.now();
    expect(cmcdSid('a=1,'.repeat(250_000))).toBeNull();
    expect(cmcdSid('x="'.repeat(250_000))).toBeNull();
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('session keys of viewers', () => {
  it('gives one string per viewer id, from the package entry', () => {
    const { viewerSessionKey, viewerKey: exported } = entry;
    expect(viewerSessionKey('6e2f')).toBe('v:6e2f');
    expect(viewerSessionKey('a')).not.toBe(viewerSessionKey('b'));
    expect(exported).toBe(viewerKey);
  });
});
