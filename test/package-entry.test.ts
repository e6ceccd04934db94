import { execFileSync } from 'node:child_process';
import path from 'node:path';

// `npm test` builds first, so dist/ is the package as a user installs it. Both faces of the
// entry are loaded by name, through the package's own `exports`, in a fresh Node process.
const root = path.join(__dirname, '..');
const run = (args: string[]): string => execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' });

describe('the package entry', () => {
  it('loads with require()', () => {
    const out = run(['-e', "const m = require('koa-bandwidth'); console.log(typeof m.ConfigError, typeof m.OptionError)"]);
    expect(out.trim()).toBe('function function');
  });

  it('loads with import and named exports', () => {
    const out = run(['--input-type=module', '-e', "import { ConfigError, OptionError } from 'koa-bandwidth'; console.log(typeof ConfigError, typeof OptionError)"]);
    expect(out.trim()).toBe('function function');
  });

  it('exports the same names from both faces', () => {
    const cjs = run(['-e', "console.log(Object.keys(require('koa-bandwidth')).sort().join(','))"]).trim();
    const esm = run(['--input-type=module', '-e', "import * as m from 'koa-bandwidth'; console.log(Object.keys(m).filter(k => k !== 'default').sort().join(','))"]).trim();
    expect(esm).toBe(cjs);
    expect(cjs.length).toBeGreaterThan(0);
  });
});

describe('the entries: public API and internals', () => {
  const keys = (spec: string): string[] => run(['-e', `console.log(Object.keys(require('${spec}')).sort().join(','))`]).trim().split(',');

  it('exports the public API from the main entry, and no engine internals', () => {
    const main = keys('koa-bandwidth');
    expect(main).toEqual(expect.arrayContaining(['ConfigError', 'ConfigErrors', 'ConfigWarning', 'OptionError', 'RESPONSE_CHANNEL', 'UNMATCHED', 'bandwidth', 'connectRedis', 'memoryStore', 'prometheusMetrics', 'redisStore', 'route', 'statsEndpoints']));
    const internal = ['BandwidthState', 'TokenBucket', 'waterFill', 'createEngine', 'exemptForRange', 'resolvePlan', 'withEncodingRate', 'DEFAULT_LIMITS', 'loadConfigDir', 'normalizeConfig', 'probeFile', 'probeBuffer', 'ProbeCache', 'mediaKind', 'sessionKey', 'RedisStore'];
    expect(main.filter((k) => internal.includes(k))).toEqual([]);
  });

  it('keeps the engine internals behind koa-bandwidth/internals, for require() and import', () => {
    const internals = keys('koa-bandwidth/internals');
    expect(internals).toEqual(expect.arrayContaining(['TokenBucket', 'waterFill', 'createEngine', 'resolvePlan', 'probeFile', 'loadConfigDir']));
    expect(keys('koa-bandwidth').filter((k) => internals.includes(k))).toEqual([]);
    const esm = run(['--input-type=module', '-e', "import * as m from 'koa-bandwidth/internals'; console.log(Object.keys(m).filter(k => k !== 'default').sort().join(','))"]).trim();
    expect(esm.split(',')).toEqual(internals);
  });
});
