'use strict';
// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by area.

function area(frame) {
  const url = frame.url || '';
  const name = frame.functionName;
  if (name === '(garbage collector)') return 'GC';
  if (name === '(program)' || name === '(root)') return 'native / uncategorised';
  if (url.includes('/node_modules/')) {
    const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    return `npm: ${m ? m[1] : 'other'}`;
  }
  if (/\/(dist\/)?lib\//.test(url) || url.includes('/bin/')) return 'koa-bandwidth';
  if (url.startsWith('node:') || url === '') return 'node core';
  return 'other';
}

/**
 * Self time by function and by area. `span` ({fromUs, toUs}, in the profile's own clock)
 * keeps only the samples taken inside it, e.g. the measurement window without start-up.
 */
function summariseProfile(profile, { top = 15, span = null } = {}) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    if (span && (t < span.fromUs || t > span.toUs)) return;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  });
  const fns = new Map();
  const areas = new Map();
  let busy = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const f = byId.get(id).callFrame;
    if (f.functionName === '(idle)') {
      idle += us;
      continue;
    }
    busy += us;
    const file = f.url ? f.url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules|dist|lib|bin)\//, '$1/') : '';
    const key = `${f.functionName || '(anonymous)'} ${file}${file ? `:${f.lineNumber + 1}` : ''}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
    const a = area(f);
    areas.set(a, (areas.get(a) ?? 0) + us);
  }
  const pct = (us) => Math.round((us / busy) * 1000) / 10;
  return {
    busyMs: Math.round(busy / 1000),
    idleMs: Math.round(idle / 1000),
    byArea: [...areas].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, ms: Math.round(us / 1000), pct: pct(us) })),
    topSelf: [...fns].sort((a, b) => b[1] - a[1]).slice(0, top)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), pct: pct(us) })),
  };
}

module.exports = { summariseProfile };
