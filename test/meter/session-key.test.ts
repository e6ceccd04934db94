import type { Context } from 'koa';
import { sessionKey } from '../../lib/session-key';

const socket = {};
const h2session = {};
const ctx = (req: object, ip = '10.0.0.1'): Context => ({ req, ip }) as unknown as Context;

describe('sessionKey', () => {
  it.each([
    { name: 'HTTP/1.1: the socket', c: ctx({ socket }), mode: undefined, want: socket },
    { name: 'HTTP/2: the Http2Session, not the stream', c: ctx({ socket: {}, stream: { session: h2session } }), mode: 'connection' as const, want: h2session },
    { name: "'ip': the client address", c: ctx({ socket }), mode: 'ip' as const, want: 'ip:10.0.0.1' },
    { name: 'a function of ctx', c: ctx({ socket }, '10.0.0.9'), mode: (c: Context) => `user-${c.ip}`, want: 'fn:user-10.0.0.9' },
  ])('$name', ({ c, mode, want }) => {
    expect(sessionKey(c, mode)).toBe(want);
  });
});
