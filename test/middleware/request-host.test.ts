import http from 'node:http';
import net from 'node:net';
import Koa from 'koa';
import { requestHost } from '../../lib/request-host';

// requestHost() reads the Host header itself on the common path; whatever it returns must be
// what Koa's own ctx.host returns for the same request, proxy or not, HTTP/1 or HTTP/2.
function context(headers: Record<string, string | undefined>, opts: { proxy?: boolean; h2?: boolean } = {}): Koa.Context {
  const app = new Koa({ proxy: opts.proxy ?? false });
  const req = new http.IncomingMessage(new net.Socket());
  req.method = 'GET';
  req.url = '/a.mp4';
  req.headers = headers as http.IncomingHttpHeaders;
  if (opts.h2) {
    req.httpVersionMajor = 2;
    req.httpVersion = '2.0';
  } else {
    req.httpVersionMajor = 1;
    req.httpVersion = '1.1';
  }
  return app.createContext(req, new http.ServerResponse(req));
}

describe('requestHost', () => {
  it.each([
    { name: 'a plain name', headers: { host: 'media.example.com' } },
    { name: 'a name and port', headers: { host: 'media.example.com:8080' } },
    { name: 'upper case', headers: { host: 'MEDIA.Example.COM' } },
    { name: 'an IPv6 literal', headers: { host: '[::1]:8080' } },
    { name: 'a list (Koa takes the first)', headers: { host: 'a.example.com, b.example.com' } },
    { name: 'userinfo (Koa drops it)', headers: { host: 'user@media.example.com' } },
    { name: 'no Host', headers: {} },
    { name: 'an empty Host', headers: { host: '' } },
    { name: 'X-Forwarded-Host without app.proxy: ignored', headers: { host: 'edge.example.com', 'x-forwarded-host': 'media.example.com' } },
    { name: 'X-Forwarded-Host under app.proxy', headers: { host: 'edge.example.com', 'x-forwarded-host': 'media.example.com' }, proxy: true },
    { name: 'a list in X-Forwarded-Host under app.proxy', headers: { host: 'edge', 'x-forwarded-host': 'a.example.com, b.example.com' }, proxy: true },
    { name: 'HTTP/2 :authority', headers: { ':authority': 'media.example.com', host: 'other.example.com' }, h2: true },
    { name: 'HTTP/2 without :authority', headers: { host: 'media.example.com' }, h2: true },
  ])('$name: as ctx.host', ({ headers, proxy, h2 }) => {
    const ctx = context(headers, { proxy, h2 });
    expect(requestHost(ctx)).toBe(ctx.host);
  });
});
