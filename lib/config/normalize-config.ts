import { ConfigError, ConfigErrors } from '../errors';
import { parseRuleList } from '../policy/parse-rule-list';
import type { Rule } from '../policy/rule';
import type { ThrottleSettings } from '../types';
import type { BandwidthConfig, ConfigInput, VhostConfig, VhostOptionsInput } from './config-model';
import { hostNameProblem } from './host-name';
import { isAmount, kbpsToBytes, mbpsToBytes, parseAmount, parseUnit, toBytesPerSecond } from './units';
import { hasUnit, readDuration, readPercent, readRate, type AmountResult } from './amount';
import { ConfigWarning } from './config-warning';
import { BOOST_FORMS, parseBoostValue, type BoostValue } from './boost';
import { parseSessionKeySpec } from './session-key-spec';
import { compileTrustedProxies, TrustedProxySyntaxError, type ForwardedHeader, type TrustedProxies } from '../policy/trusted-proxies';

/** Where a value was written, for errors. */
export interface Where {
  file: string;
  line?: number;
  column?: number;
  path?: string;
}

/** How the normaliser names places in errors. */
export interface NormalizeOptions {
  /** Whether a `geoip` lookup exists (country-code conditions need one). */
  geoip: boolean;
  /**
   * Where a logical key (`defaults.ratio`, `vhosts[1].options.params.bandwidth`,
   * `vhosts[1].name`, `default`) was written. Plain options name the option path.
   */
  where?: (key: string) => Where;
  /** The file name of a vhost's rule list in errors. */
  rulesFile?: (index: number, name: string) => string;
  /**
   * What `throttling` is when nothing sets it. `'rules'` (the `config` option): on for a
   * vhost that has rules, since rules are given to be applied. `'off'` (the config files):
   * off, as the files' format says, with a THROTTLING_OFF warning for a vhost with rules.
   */
  throttlingDefault?: 'rules' | 'off';
}

/** Built-in defaults (docs/spec.md §1: "Defaults are as shown"). */
const BUILTIN: Required<Omit<VhostOptionsInput, 'params' | 'sessionKey' | 'viewer'>> = {
  trafficCap: 0,
  sessionCap: 0,
  bandwidth: 1000,
  unit: 'kbps',
  ratio: 100,
  boost: 5,
  throttling: false,
  queryString: false,
  caseSensitive: true,
  xAccelLimitRate: false,
};

type Key = keyof VhostOptionsInput;
const KEYS = Object.keys(BUILTIN).concat('params', 'viewer', 'sessionKey') as Key[];
const PARAM_KEYS = ['bandwidth', 'ratio', 'boost'] as const;

/**
 * The one normalisation step for both ways in (docs/spec.md §1): inherit VHostDefault key by key
 * (the XML loader maps each element and attribute to its own key, so inheritance is
 * element by element and attribute by attribute), validate, convert to bytes/s, compile
 * rules. Collects every problem.
 * @throws ConfigErrors
 */
export function normalizeConfig(input: ConfigInput, opts: NormalizeOptions): BandwidthConfig {
  const where = opts.where ?? ((key: string): Where => ({ file: '<options>', path: `config.${key}` }));
  const errors: ConfigError[] = [];
  const warnings: ConfigWarning[] = [];
  const seen = new Set<string>();
  const report = (message: string, w: Where): void => {
    const e = new ConfigError(message, w);
    if (!seen.has(e.format())) {
      seen.add(e.format());
      errors.push(e);
    }
  };
  const defaults = input.defaults ?? {};
  checkKeys(defaults, 'defaults', where, report);
  const vhosts: VhostConfig[] = [];
  const names = new Set<string>();
  const hosts = new Map<string, string>();
  // Validate the defaults on their own too, so a bad default is reported even with no vhost.
  resolveOptions(defaults, {}, 'defaults', 'defaults', where, report);
  (input.vhosts ?? []).forEach((v, i) => {
    const prefix = `vhosts[${i}]`;
    if (typeof v !== 'object' || v === null) return report('a vhost must be an object { name, aliases, options, rules }', where(prefix));
    const name = typeof v.name === 'string' ? v.name.trim().toLowerCase() : '';
    if (!name) return report('vhost needs a Name', where(`${prefix}.name`));
    const bad = hostNameProblem(name, false);
    if (bad) return report(`bad vhost Name ${JSON.stringify(v.name)}: ${bad}`, where(`${prefix}.name`));
    if (names.has(name)) return report(`duplicate vhost "${name}"`, where(`${prefix}.name`));
    names.add(name);
    const aliases: string[] = [];
    for (const [j, a] of (v.aliases ?? []).entries()) {
      const alias = String(a).trim().toLowerCase();
      const badAlias = hostNameProblem(alias, true);
      if (badAlias) {
        report(`bad Alias ${JSON.stringify(a)}: ${badAlias}; expected a host name, *.domain or [IPv6]`, where(`${prefix}.aliases[${j}]`));
        continue;
      }
      const owner = hosts.get(alias);
      if (owner !== undefined) report(`Alias "${alias}" is already used by vhost "${owner}"`, where(`${prefix}.aliases[${j}]`));
      hosts.set(alias, name);
      aliases.push(alias);
    }
    checkKeys(v.options ?? {}, `${prefix}.options`, where, report);
    const hasRules = v.rules !== undefined && (Array.isArray(v.rules) ? v.rules : String(v.rules).split(/\r?\n/)).some((l) => String(l).trim() !== '' && !String(l).trim().startsWith('#'));
    const resolved = resolveOptions(defaults, v.options ?? {}, 'defaults', `${prefix}.options`, where, report, hasRules && opts.throttlingDefault === 'rules');
    const file = opts.rulesFile ? opts.rulesFile(i, name) : `config.${prefix}.rules`;
    let rules: Rule[] = [];
    if (v.rules !== undefined) {
      const text = Array.isArray(v.rules) ? v.rules.join('\n') : v.rules;
      if (typeof text !== 'string') report('rules must be a string or an array of lines', where(`${prefix}.rules`));
      else {
        const parsed = parseRuleList(text, { file, unit: resolved?.settings.unit ?? 'kbps', caseInsensitive: !(resolved?.caseSensitive ?? true), geoip: opts.geoip });
        // Rules are checked even when the options are bad, so `check` lists every error.
        for (const e of parsed.errors) report(e.message, { file: e.file, line: e.line, column: e.column });
        warnings.push(...parsed.warnings);
        rules = parsed.rules;
      }
    }
    if (resolved && !resolved.throttling && !resolved.throttlingSet && rules.length > 0) {
      warnings.push(new ConfigWarning('THROTTLING_OFF', `vhost "${name}" has ${rules.length} rule${rules.length === 1 ? '' : 's'}, but <Throttling> is OFF by default, so none of them applies; write <Throttling>ON</Throttling> (or OFF, to say so)`, { file }));
    }
    const usesMime = rules.some((r) => r.usesMime === true);
    if (resolved) {
      const { throttlingSet: _set, ...rest } = resolved;
      vhosts.push({ name, aliases, ...rest, rules, rulesFile: v.rules !== undefined ? file : null, ...(usesMime ? { usesMime } : {}) });
    }
  });
  let defaultVhost: string | null = null;
  if (input.default !== undefined && input.default !== '') {
    const d = String(input.default).trim().toLowerCase();
    if (!names.has(d)) report(`<Default> names "${d}", which is not a vhost`, where('default'));
    else defaultVhost = d;
  }
  const trustedProxies = readTrustedProxies(input.trustedProxies, where, report);
  if (errors.length > 0) throw new ConfigErrors(errors);
  if (vhosts.length === 1 && defaultVhost === null) {
    const only = vhosts[0] as VhostConfig;
    const other = only.name === 'localhost' ? '127.0.0.1' : 'an address or another name of this server';
    warnings.push(new ConfigWarning('ONE_VHOST_NO_DEFAULT', `one vhost ("${only.name}") and no <Default>: requests for any other host (${other}) pass through unmetered; add an alias, or make it the default (<Default>${only.name}</Default>, or default: '${only.name}' in \`config\`)`, where('default')));
  }
  return { vhosts, defaultVhost, trustedProxies, warnings };
}

/** `trustedProxies`: a list, or `{ addresses, header }`; errors name the entry (`trustedProxies.addresses[2]`). */
function readTrustedProxies(input: ConfigInput['trustedProxies'], where: (k: string) => Where, report: (m: string, w: Where) => void): TrustedProxies | null {
  if (input === undefined) return null;
  const list = Array.isArray(input) ? input : typeof input === 'object' && input !== null ? input.addresses : undefined;
  if (!Array.isArray(list)) {
    report('trustedProxies must be a list of addresses/CIDRs or { addresses, header }', where('trustedProxies'));
    return null;
  }
  let header: ForwardedHeader = 'x-forwarded-for';
  if (!Array.isArray(input)) {
    for (const k of Object.keys(input)) if (k !== 'addresses' && k !== 'header') report(`unknown option "${k}"; expected addresses or header`, where(`trustedProxies.${k}`));
    if (input.header !== undefined) {
      const h = String(input.header).trim().toLowerCase();
      if (h === 'x-forwarded-for' || h === 'forwarded') header = h;
      else report(`bad trusted-proxy header ${JSON.stringify(input.header)}; expected X-Forwarded-For or Forwarded`, where('trustedProxies.header'));
    }
  }
  const key = (i: number): string => (Array.isArray(input) ? `trustedProxies[${i}]` : `trustedProxies.addresses[${i}]`);
  const good: string[] = [];
  list.forEach((entry, i) => {
    try {
      compileTrustedProxies([String(entry)]);
      good.push(String(entry));
    } catch (e) {
      if (e instanceof TrustedProxySyntaxError) report(e.message, where(key(i)));
      else throw e;
    }
  });
  return compileTrustedProxies(good, header);
}

type Resolved = Omit<VhostConfig, 'name' | 'aliases' | 'rules' | 'rulesFile' | 'usesMime'> & { throttlingSet: boolean };

function checkKeys(o: object, prefix: string, where: (k: string) => Where, report: (m: string, w: Where) => void): void {
  if (typeof o !== 'object' || o === null) return report('options must be an object', where(prefix));
  for (const k of Object.keys(o)) {
    if (!KEYS.includes(k as Key)) report(`unknown option "${k}"; expected one of ${KEYS.join(', ')}`, where(`${prefix}.${k}`));
  }
  const params = (o as VhostOptionsInput).params;
  if (params !== undefined) {
    for (const k of Object.keys(params)) {
      if (!(PARAM_KEYS as readonly string[]).includes(k)) report(`unknown param "${k}"; expected bandwidth, ratio or boost`, where(`${prefix}.params.${k}`));
    }
  }
  const viewer = (o as VhostOptionsInput).viewer;
  if (viewer !== undefined) {
    if (typeof viewer !== 'object' || viewer === null) report(`bad viewer ${show(viewer)}; expected { param?, cookie? }`, where(`${prefix}.viewer`));
    else for (const k of Object.keys(viewer)) if (k !== 'param' && k !== 'cookie') report(`unknown viewer key "${k}"; expected param or cookie`, where(`${prefix}.viewer.${k}`));
  }
}

function resolveOptions(
  base: VhostOptionsInput,
  own: VhostOptionsInput,
  basePrefix: string,
  ownPrefix: string,
  where: (k: string) => Where,
  report: (m: string, w: Where) => void,
  throttlingByDefault = false,
): Resolved | null {
  let ok = true;
  const pick = <K extends Exclude<Key, 'params' | 'sessionKey' | 'viewer'>>(k: K): { value: unknown; at: Where | null } => {
    if (own[k] !== undefined) return { value: own[k], at: where(`${ownPrefix}.${k}`) };
    if (base[k] !== undefined) return { value: base[k], at: where(`${basePrefix}.${k}`) };
    return { value: BUILTIN[k], at: null };
  };
  // A bare number is in the field's file unit; a string with a unit says its own
  // (docs/config.md, "Amounts in JavaScript"), and `toBase` is then not applied.
  const amount = (k: 'trafficCap' | 'sessionCap' | 'bandwidth' | 'ratio' | 'boost', what: string, toBase: (n: number) => number): number => {
    const { value, at } = pick(k);
    let n: number | null;
    let expected = 'a non-negative number (at most 1e15)';
    if (typeof value === 'string' && hasUnit(value)) {
      const read = UNIT_READERS[k](value);
      n = read.ok ? read.value : null;
      if (!read.ok) expected = read.expected;
    } else {
      n = typeof value === 'number' ? (isAmount(value) ? value : null) : typeof value === 'string' ? parseAmount(value) : null;
      if (n !== null) n = toBase(n);
    }
    if (n === null) {
      ok = false;
      report(`bad ${what} ${show(value)}; expected ${expected}`, at ?? where(`${ownPrefix}.${k}`));
      return 0;
    }
    return n;
  };
  const flag = (k: 'throttling' | 'queryString' | 'caseSensitive' | 'xAccelLimitRate', what: string): boolean => {
    const { value, at } = pick(k);
    if (typeof value === 'boolean') return value;
    const t = typeof value === 'string' ? value.trim().toUpperCase() : '';
    if (t === 'ON') return true;
    if (t === 'OFF') return false;
    ok = false;
    report(`bad ${what} ${JSON.stringify(value)}; expected ON or OFF`, at ?? where(`${ownPrefix}.${k}`));
    return false;
  };
  const unitPick = pick('unit');
  const unit = typeof unitPick.value === 'string' ? parseUnit(unitPick.value) : null;
  if (unit === null) {
    ok = false;
    report(`unknown unit ${JSON.stringify(unitPick.value)}; expected kbps, mbps, bytes, kb or mb`, unitPick.at ?? where(`${ownPrefix}.unit`));
  }
  const trafficCap = amount('trafficCap', 'TrafficCap', mbpsToBytes);
  const sessionCap = amount('sessionCap', 'TrafficCap Session', kbpsToBytes);
  const bandwidth = amount('bandwidth', 'Bandwidth', (n) => toBytesPerSecond(n, unit ?? 'kbps'));
  const ratio = amount('ratio', 'Ratio', (n) => n);
  const boost = boostValue(pick('boost'), () => where(`${ownPrefix}.boost`), report);
  if (boost === null) ok = false;
  let sessionKey: VhostConfig['sessionKey'] = null;
  const keyText = own.sessionKey ?? base.sessionKey;
  if (keyText !== undefined) {
    const at = own.sessionKey !== undefined ? where(`${ownPrefix}.sessionKey`) : where(`${basePrefix}.sessionKey`);
    const spec = typeof keyText === 'string' ? parseSessionKeySpec(keyText) : `bad session key ${show(keyText)}; expected a string such as ip or header:NAME`;
    if (typeof spec === 'string') {
      ok = false;
      report(spec, at);
    } else sessionKey = spec;
  }
  const params: ThrottleSettings['params'] = {};
  for (const k of PARAM_KEYS) {
    const value = own.params?.[k] ?? base.params?.[k];
    if (value === undefined) continue;
    const at = own.params?.[k] !== undefined ? where(`${ownPrefix}.params.${k}`) : where(`${basePrefix}.params.${k}`);
    if (typeof value !== 'string' || !/^[^\s&=#?]+$/.test(value)) {
      ok = false;
      report(`bad Param ${JSON.stringify(value)}; expected a query-string key without spaces, &, =, # or ?`, at);
    } else if (PARAM_KEYS.some((j) => params[j] === value)) {
      // One name for two fields: a client's value would be read as whichever came last.
      ok = false;
      report(`Param ${JSON.stringify(value)} is already the Param of another field; each field needs its own name`, at);
    } else params[k] = value;
  }
  const throttlingPick = pick('throttling');
  const throttlingSet = throttlingPick.at !== null;
  const throttling = !throttlingSet && throttlingByDefault ? true : flag('throttling', 'Throttling');
  const queryString = flag('queryString', 'Throttling QueryString');
  const caseSensitive = flag('caseSensitive', 'CaseSensitive');
  const xAccelLimitRate = flag('xAccelLimitRate', 'XAccelLimitRate');
  const viewer: VhostConfig['viewer'] = {};
  for (const k of ['param', 'cookie'] as const) {
    const value = own.viewer?.[k] ?? base.viewer?.[k];
    if (value === undefined) continue;
    const at = own.viewer?.[k] !== undefined ? where(`${ownPrefix}.viewer.${k}`) : where(`${basePrefix}.viewer.${k}`);
    // A cookie name is an RFC 6265 token; a query key has no separators either.
    if (typeof value !== 'string' || !/^[!#$%'*+.^_`|~0-9A-Za-z-]{1,64}$/.test(value)) {
      ok = false;
      report(`bad Viewer ${k === 'param' ? 'Param' : 'Cookie'} ${show(value)}; expected a name of 1 to 64 token characters (letters, digits, - _ . and the like)`, at);
    } else viewer[k] = value;
  }
  if (!ok || boost === null) return null;
  const settings: ThrottleSettings = 'bytes' in boost ? { bandwidth, unit: unit ?? 'kbps', ratio, boost: 0, boostBytes: boost.bytes, params } : { bandwidth, unit: unit ?? 'kbps', ratio, boost: boost.seconds, params };
  return { trafficCap, sessionCap, settings, throttling, throttlingSet, queryString, caseSensitive, viewer, sessionKey, xAccelLimitRate };
}

/** `<Boost>`: a number of seconds, a time expression or a byte size. */
function boostValue(picked: { value: unknown; at: Where | null }, fallback: () => Where, report: (m: string, w: Where) => void): BoostValue | null {
  const { value, at } = picked;
  const b = typeof value === 'number' ? (isAmount(value) ? { seconds: value } : null) : typeof value === 'string' ? parseBoostValue(value) : null;
  if (b === null) report(`bad Boost ${show(value)}; expected ${BOOST_FORMS}`, at ?? fallback());
  return b;
}

/** How an amount written with a unit is read, by field: rates to bytes/s, boost to seconds, ratio to percent. */
const UNIT_READERS: Record<'trafficCap' | 'sessionCap' | 'bandwidth' | 'ratio' | 'boost', (v: string) => AmountResult> = {
  trafficCap: readRate,
  sessionCap: readRate,
  bandwidth: readRate,
  ratio: readPercent,
  boost: readDuration,
};

/** A value as written: strings quoted, numbers (NaN included) as they print. */
const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));
