import Router from '@koa/router';
import type { Context } from 'koa';
import { route, webrtcBandwidth } from 'koa-bandwidth';

/**
 * The call page's signalling routes: each takes an offer or answer as JSON
 * (`{ type, sdp }`) and hands it back with the request's plan written into it, plus the
 * same limits as `setParameters()` values under `bandwidth`. A real signalling server
 * would pass it to the other peer; the page holds both peers, so it sends it back.
 * Mount after `bandwidth()`.
 *
 * - `/call/sdp`: the vhost's throttling.txt rules and the query (`?mybandwidth=300`)
 * - `/call/hd/sdp`: route({ bandwidth: '1500kbps' }), a route's plan (the query still wins)
 * - `/call/free/sdp`: route({ bandwidth: 'no' }), never limited, whatever the query says
 */
export function callRoutes(): Router {
  const router = new Router();
  const relay = (ctx: Context): void => {
    // Set by webrtcBandwidth() (it reads JSON when no body parser did).
    const body = (ctx.request as { body?: { type?: unknown; sdp?: unknown } }).body;
    if (!body || (body.type !== 'offer' && body.type !== 'answer') || typeof body.sdp !== 'string') {
      ctx.throw(400, "expected JSON { type: 'offer' | 'answer', sdp }");
    }
    ctx.body = { type: body.type, sdp: body.sdp };
  };
  router.post('/call/sdp', webrtcBandwidth(), relay);
  router.post('/call/hd/sdp', route({ bandwidth: '1500kbps' }), webrtcBandwidth(), relay);
  router.post('/call/free/sdp', route({ bandwidth: 'no' }), webrtcBandwidth(), relay);
  return router;
}
