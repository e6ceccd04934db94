'use strict';
// Median cost of resolving a plan against a 100-rule list, as a ratio to an empty
// middleware in the same run (target < 5 µs, docs/performance.md). Runs from dist/: `npm run build` first.
//   node bench/resolve.js [--json]
const http = require('node:http');
const net = require('node:net');
const Koa = require('koa');
const { normalizeConfig } = require('../dist/lib/config/normalize-config.js');
const { resolvePlan, DEFAULT_LIMITS } = require('../dist/lib/policy/resolve-plan.js');
const { bandwidth } = require('../dist/lib/index.js');

// 99 rules that do not match the request, of every kind, then one that does.
const rules = [];
for (let i = 0; i < 33; i++) rules.push(`$IP[10.${i}.0.0/16], ${100 + i}`);
for (let i = 0; i < 33; i++) rules.push(`$HEADER[x-tier-${i}: gold*] & !HEADER[referer], ${200 + i}, 120`);
for (let i = 0; i < 33; i++) rules.push(`$URL[/vod/${i}/*.mp4], ${300 + i}x, 110, 5`);
rules.push('$URL[/media/*.mp4], 1000, 150, 3');
const config = {
  defaults: { throttling: true, queryString: true, params: { bandwidth: 'mybandwidth', ratio: 'myratio', boost: 'myboost' } },
  vhosts: [{ name: 'www.example.com', rules }],
};
const vhost = normalizeConfig(config, { geoip: false }).vhosts[0];
const facts = { ip: '192.168.7.9', path: '/media/movie.mp4', headers: { 'user-agent': 'bench', 'x-tier-5': 'silver' }, query: { ratio: '130' } };

const plan = resolvePlan(facts, vhost, null, DEFAULT_LIMITS);
if (!plan.throttle || plan.rule.line !== 100) throw new Error('bench setup: the last rule should match');

async function emptyMiddleware(ctx, next) {
  return next();
}
const next = () => Promise.resolve();

// A real Koa context, for the whole middleware (host lookup, facts, query strip, resolve).
const app = new Koa();
const bw = bandwidth({ config, watch: false });
function makeCtx() {
  const req = new http.IncomingMessage(new net.Socket());
  req.method = 'GET';
  req.url = '/media/movie.mp4?tag=1&myratio=130&x=2';
  req.headers = { host: 'www.example.com', 'user-agent': 'bench', 'x-tier-5': 'silver' };
  const res = new http.ServerResponse(req);
  return app.createContext(req, res);
}

function timeSync(fn, n) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t0) / n;
}
async function timeAsync(fn, n) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  return Number(process.hrtime.bigint() - t0) / n;
}
const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];

async function main() {
  const N = 20000;
  const ROUNDS = 15;
  const ctxs = Array.from({ length: 64 }, makeCtx);
  let k = 0;
  const empty = [];
  const resolve = [];
  const whole = [];
  // Warm up the JIT.
  timeSync(() => resolvePlan(facts, vhost, null, DEFAULT_LIMITS), N);
  await timeAsync(() => emptyMiddleware(null, next), N);
  for (let r = 0; r < ROUNDS; r++) {
    empty.push(await timeAsync(() => emptyMiddleware(ctxs[k++ & 63], next), N));
    resolve.push(timeSync(() => resolvePlan(facts, vhost, null, DEFAULT_LIMITS), N));
    whole.push(
      await timeAsync(() => {
        const ctx = ctxs[k++ & 63];
        ctx.querystring = 'tag=1&myratio=130&x=2';
        return bw(ctx, next);
      }, N / 4),
    );
  }
  const out = {
    rules: rules.length,
    emptyMiddlewareNs: Math.round(median(empty)),
    resolvePlanNs: Math.round(median(resolve)),
    middlewareNs: Math.round(median(whole)),
  };
  out.resolveRatio = +(out.resolvePlanNs / out.emptyMiddlewareNs).toFixed(2);
  out.middlewareRatio = +(out.middlewareNs / out.emptyMiddlewareNs).toFixed(2);
  out.targetMet = out.resolvePlanNs < 5000;
  if (process.argv.includes('--json')) console.log(JSON.stringify(out));
  else {
    console.log(`resolvePlan, ${out.rules} rules (last one matches): median ${(out.resolvePlanNs / 1000).toFixed(2)} µs  (${out.resolveRatio}× an empty middleware)`);
    console.log(`bandwidth() middleware, same rules, with query strip: median ${(out.middlewareNs / 1000).toFixed(2)} µs  (${out.middlewareRatio}× an empty middleware)`);
    console.log(`empty async middleware: median ${(out.emptyMiddlewareNs / 1000).toFixed(3)} µs`);
    console.log(`target < 5 µs per resolve: ${out.targetMet ? 'met' : 'NOT met'}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
