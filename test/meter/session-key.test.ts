import type { Context } from 'koa';
import { sessionKey } from '../../lib/session-key';

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
