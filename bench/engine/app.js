'use strict';
// The one module that builds the bench server's Koa app. Modes:
//   plain  — koa-send only (the overhead baseline)
//   engine — koa-send + the metering engine, limits taken from the query
//            (rate, boost in bytes/s and bytes; scap, vcap in bytes/s), nothing applies without them.
// To bench the public middleware later, add a mode that does app.use(bandwidth({...})) here.
const Koa = require('koa');
const send = require('koa-send');
const { createEngine, sessionKey } = require('../../dist/lib/index.js');

function createApp(mode, mediaDir) {
  const app = new Koa();
  app.silent = true;
  let engine = null;
  if (mode === 'engine') {
    engine = createEngine();
    app.use(async function meter(ctx, next) {
      await next();
      const q = ctx.query;
      engine.wrapBody(ctx, {
        vhost: 'bench',
        session: sessionKey(ctx),
        rate: q.rate ? Number(q.rate) : null,
        boostBytes: Number(q.boost ?? 0),
        sessionCap: Number(q.scap ?? 0),
        trafficCap: Number(q.vcap ?? 0),
        exempt: [],
        ip: ctx.ip,
      });
    });
  } else if (mode !== 'plain') throw new Error(`unknown mode ${mode}`);
  app.use(async function files(ctx) {
    await send(ctx, ctx.path, { root: mediaDir });
  });
  return { app, engine };
}

module.exports = { createApp };
