import type { Context } from 'koa';
import { parseSessionKeySpec } from '../../lib/config/session-key-spec';
import { cookieValue, sessionIdOf, sessionKey } from '../../lib/session-key';

const socket = {};
const h2session = {};
const ctx = (req: object, ip = '10.0.0.1'): Context => ({ req, ip }) as unknown as Context;

describe('sessionKey', () => {
  it.each([
    { name: 'HTTP/1.1: the socket', c: ctx({ socket }), mode: undefined, want: socket },
    { name: 'HTTP/2: the Http2Session, not the stream', c: ctx({ socket: {}, stream: { session: h2session } }), mode: 'connection' as const, want: h2session },
    { name: "'ip': the socket's peer, not ctx.ip (which app.proxy may take from a client's X-Forwarded-For)", c: ctx({ socket: { remoteAddress: '10.0.0.7' } }), mode: 'ip' as const, want: 'ip:10.0.0.7' },
    { name: 'a function of ctx', c: ctx({ socket }, '10.0.0.9'), mode: (c: Context) => `user-${c.ip}`, want: 'fn:user-10.0.0.9' },
  ])('$name', ({ c, mode, want }) => {
    expect(sessionKey(c, mode)).toBe(want);
  });

  it("'ip' with the client address the middleware resolved (after trusted proxies)", () => {
    expect(sessionKey(ctx({ socket: { remoteAddress: '10.0.0.2' } }), 'ip', '203.0.113.7')).toBe('ip:203.0.113.7');
  });
});

describe('<SessionKey> keyers', () => {
  const req = (headers: Record<string, string | string[]>, ip = '203.0.113.7') => ({ headers, url: '/a', clientIp: () => ip });
  it.each([
    ['ip', {}, 'ip:203.0.113.7'],
    ['connection', { 'x-user': 'a' }, null],
    ['header:X-User', { 'x-user': 'alice' }, /^header:x-user#[\w-]{16}$/],
    ['header:X-User', { 'x-user': '' }, null],
    ['header:X-User', {}, null],
    ['header:X-User', { 'x-user': 'a'.repeat(1025) }, null],
    ['cookie:sid', { cookie: 'sid=abc' }, /^cookie:sid#[\w-]{16}$/],
    ['cookie:sid', { cookie: 'xsid=abc; sid2=d' }, null],
    ['cookie:sid', { cookie: 'sid=' }, null],
    ['cookie:sid', { cookie: 'garbage;;;=;=' }, null],
  ])('%s with %j', (text, headers, want) => {
    const spec = parseSessionKeySpec(text);
    if (typeof spec === 'string') throw new Error(spec);
    const got = sessionIdOf(spec, req(headers));
    if (want instanceof RegExp) expect(got).toMatch(want);
    else expect(got).toBe(want);
  });

  it('gives one value one id, and two values two ids', () => {
    const spec = parseSessionKeySpec('cookie:sid') as Exclude<ReturnType<typeof parseSessionKeySpec>, string>;
    const a = sessionIdOf(spec, req({ cookie: 'sid=one' }));
    expect(sessionIdOf(spec, req({ cookie: 'a=1; sid=one' }))).toBe(a);
    expect(sessionIdOf(spec, req({ cookie: 'sid=two' }))).not.toBe(a);
  });

  it.each([
    ['sid=abc', 'sid', 'abc'],
    ['a=1; sid="quoted"', 'sid', 'quoted'],
    ['a=1;sid=x;sid=y', 'sid', 'x'],
    ['a=1', 'sid', null],
    ['', 'sid', null],
  ])('cookieValue(%j, %j) is %j', (header, name, want) => {
    expect(cookieValue(header, name)).toBe(want);
  });
});
