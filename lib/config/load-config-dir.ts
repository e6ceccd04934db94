import { statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, ConfigErrors } from '../errors';
import type { BandwidthConfig, ConfigInput, TrustedProxiesInput, VhostInput, VhostOptionsInput } from './config-model';
import { hostNameProblem } from './host-name';
import { normalizeConfig, type Where } from './normalize-config';
import { parseXmlDocument, type XmlElement } from './parse-xml-document';
import { fileStamp, readConfigFile } from './read-config-file';

/** Options for loading a config directory. */
export interface LoadOptions {
  /** Whether a `geoip` lookup exists. */
  geoip: boolean;
  /**
   * The files the config in force came from (`LoadedConfig.files`). A reload is conservative
   * (docs/config.md, "Reloading is conservative"): each of these files that is read again must still exist,
   * be readable and, if it had content, still have some. Otherwise the change is rejected.
   */
  previous?: ReadonlyMap<string, boolean>;
}

/** A loaded config and the files it came from: relative path → whether it had content. */
export interface LoadedConfig {
  config: BandwidthConfig;
  files: ReadonlyMap<string, boolean>;
}

/**
 * Load `server.xml`, `vhosts.xml` and every `svc/<vhost>/throttling.txt` of a config
 * directory (docs/config.md), validating everything and collecting every error. Both XML
 * files are required. File names in errors are relative to the directory.
 * @throws ConfigErrors, and nothing else.
 */
export function loadConfigDir(dir: string, opts: LoadOptions): BandwidthConfig {
  return readConfigDir(dir, opts).config;
}

/** How often a load is tried again when files change while it reads them. */
const SNAPSHOT_ATTEMPTS = 5;

/**
 * {@link loadConfigDir}, with the files it read (for the next reload's `previous`). The
 * files are read one after another, so a deploy that replaces several could be caught half
 * way: after reading, each file is checked to be still the version that was read, and the
 * load starts over when one is not. The config is thus always one the directory held at
 * one moment; a directory that never holds still is an error.
 * @throws ConfigErrors, and nothing else.
 */
export function readConfigDir(dir: string, opts: LoadOptions): LoadedConfig {
  const st = statSync(dir, { throwIfNoEntry: false });
  if (!st?.isDirectory()) throw new ConfigErrors([new ConfigError(`${st ? 'not a directory' : 'no such directory'}: ${dir}`, { file: '.', line: 0, column: 0 })]);
  for (let attempt = 1; ; attempt++) {
    const stamps = new Map<string, string>();
    let loaded: LoadedConfig | null = null;
    let failure: unknown = null;
    try {
      loaded = loadFrom((file) => readConfigFile(path.join(dir, file), file, (stamp) => stamps.set(file, stamp)), dir, opts);
    } catch (e) {
      failure = e;
    }
    const changed = [...stamps].find(([file, stamp]) => fileStamp(path.join(dir, file)) !== stamp);
    if (!changed) {
      if (loaded) return loaded;
      throw failure;
    }
    if (attempt === SNAPSHOT_ATTEMPTS) throw new ConfigErrors([new ConfigError(`changed while being read, ${attempt} times over; try again once it holds still`, { file: changed[0], line: 0, column: 0 })]);
  }
}

/**
 * The loader proper, over any file source: `readFile(relativePath)` returns the text or
 * null when the file does not exist, and may throw a ConfigError. Used by loadConfigDir and
 * by the fuzz tests.
 * @throws ConfigErrors, and nothing else.
 */
export function loadConfigFiles(readFile: (file: string) => string | null, dir: string, opts: LoadOptions): BandwidthConfig {
  return loadFrom(readFile, dir, opts).config;
}

function loadFrom(readFile: (file: string) => string | null, dir: string, opts: LoadOptions): LoadedConfig {
  try {
    return loadOrThrow(readFile, dir, opts);
  } catch (e) {
    if (e instanceof ConfigErrors) throw e;
    // Whatever a parser or a bug throws, callers get the one error type they handle.
    throw new ConfigErrors([new ConfigError(`cannot load the config: ${e instanceof Error ? e.message : String(e)}`, { file: dir, line: 0, column: 0 })]);
  }
}

function loadOrThrow(readFile: (file: string) => string | null, dir: string, opts: LoadOptions): LoadedConfig {
  const errors: ConfigError[] = [];
  const at = new Map<string, Where>();
  const input: ConfigInput = { vhosts: [] };
  const files = new Map<string, boolean>();
  const read = (file: string, required: boolean): string | null => {
    let text: string | null;
    try {
      text = readFile(file);
    } catch (e) {
      errors.push(e instanceof ConfigError ? e : new ConfigError(`cannot read: ${(e as Error).message}`, { file }));
      return null;
    }
    const before = opts.previous?.get(file);
    if (text === null) {
      if (before !== undefined) errors.push(new ConfigError('missing, but the config in force was loaded from it (a file being replaced?); to drop it, restart', { file, line: 0, column: 0 }));
      else if (required) errors.push(new ConfigError(`missing file; expected ${file} in ${dir}`, { file, line: 0, column: 0 }));
      return null;
    }
    const hasContent = text.trim() !== '';
    if (before === true && !hasContent) {
      errors.push(new ConfigError('empty, but the config in force was loaded from it with content (a file being written?); to drop its rules, leave a # comment in it', { file, line: 1, column: 1 }));
      return null;
    }
    files.set(file, hasContent);
    return text;
  };
  const xml = (file: string, required: boolean): XmlElement | null => {
    const text = read(file, required);
    if (text === null) return null;
    try {
      return parseXmlDocument(text, file);
    } catch (e) {
      if (e instanceof ConfigError) errors.push(e);
      else throw e;
      return null;
    }
  };
  const fail = (file: string, el: XmlElement, message: string): void => {
    errors.push(new ConfigError(message, { file, line: el.line, column: el.column, path: el.path }));
  };

  const server = xml('server.xml', true);
  if (server) {
    if (server.name !== 'Server') fail('server.xml', server, `unexpected root <${server.name}>; expected <Server>`);
    else {
      noAttrs('server.xml', server, fail);
      for (const child of server.children) {
        if (child.name === 'TrustedProxies') {
          if (input.trustedProxies) fail('server.xml', child, 'duplicate <TrustedProxies>');
          else input.trustedProxies = readTrustedProxies(child, at, fail);
          continue;
        }
        if (child.name !== 'VHostDefault') {
          fail('server.xml', child, `unknown element <${child.name}> in <Server>; expected <VHostDefault> or <TrustedProxies>`);
          continue;
        }
        noAttrs('server.xml', child, fail);
        for (const o of child.children) {
          if (o.name !== 'Options') fail('server.xml', o, `unknown element <${o.name}> in <VHostDefault>; expected <Options>`);
          else input.defaults = readOptions('server.xml', o, 'defaults', at, fail);
        }
      }
    }
  }

  const vhosts = xml('vhosts.xml', true);
  if (vhosts) {
    if (vhosts.name !== 'Vhosts') fail('vhosts.xml', vhosts, `unexpected root <${vhosts.name}>; expected <Vhosts>`);
    else {
      noAttrs('vhosts.xml', vhosts, fail);
      for (const child of vhosts.children) {
        if (child.name === 'Default') {
          noAttrs('vhosts.xml', child, fail);
          input.default = child.text;
          at.set('default', where('vhosts.xml', child));
        } else if (child.name === 'Vhost') {
          const i = input.vhosts.length;
          const v: VhostInput = { name: child.attrs.Name ?? '', aliases: [] };
          at.set(`vhosts[${i}].name`, child.attrs.Name !== undefined ? attrWhere('vhosts.xml', child, 'Name') : where('vhosts.xml', child));
          for (const a of Object.keys(child.attrs)) if (a !== 'Name') fail('vhosts.xml', child, `unknown attribute ${a} on <Vhost>; expected Name`);
          for (const c of child.children) {
            if (c.name === 'Alias') {
              noAttrs('vhosts.xml', c, fail);
              at.set(`vhosts[${i}].aliases[${v.aliases?.length}]`, where('vhosts.xml', c));
              v.aliases?.push(c.text);
            } else if (c.name === 'Options') {
              if (v.options) fail('vhosts.xml', c, 'duplicate <Options>');
              v.options = readOptions('vhosts.xml', c, `vhosts[${i}].options`, at, fail);
            } else fail('vhosts.xml', c, `unknown element <${c.name}> in <Vhost>; expected <Alias> or <Options>`);
          }
          // The directory is named as the vhost is written (case kept: file systems may care).
          const name = v.name.trim();
          if (hostNameProblem(name.toLowerCase(), false) === null) {
            const rules = read(rulesPath(name), false);
            if (rules !== null) v.rules = rules;
          }
          input.vhosts.push(v);
        } else fail('vhosts.xml', child, `unknown element <${child.name}> in <Vhosts>; expected <Vhost> or <Default>`);
      }
    }
  }

  let config: BandwidthConfig | null = null;
  try {
    config = normalizeConfig(input, {
      geoip: opts.geoip,
      where: (key) => at.get(key) ?? { file: key.startsWith('defaults') || key.startsWith('trustedProxies') ? 'server.xml' : 'vhosts.xml', path: key },
      rulesFile: (i, name) => rulesPath(input.vhosts[i]?.name.trim() || name),
    });
  } catch (e) {
    if (e instanceof ConfigErrors) errors.push(...e.errors);
    else throw e;
  }
  if (errors.length > 0 || config === null) {
    const order = ['server.xml', 'vhosts.xml'];
    const rank = (f: string): number => (order.includes(f) ? order.indexOf(f) : order.length);
    errors.sort((a, b) => rank(a.file) - rank(b.file) || a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
    throw new ConfigErrors(errors);
  }
  return { config, files };
}

/**
 * `<TrustedProxies Header="X-Forwarded-For"><Proxy>10.0.0.0/8</Proxy>…</TrustedProxies>` in
 * `<Server>`: one `<Proxy>` per address or CIDR, each error at its own line.
 */
function readTrustedProxies(el: XmlElement, at: Map<string, Where>, fail: Fail): TrustedProxiesInput {
  noAttrs('server.xml', el, fail, ['Header']);
  const out: TrustedProxiesInput = { addresses: [] };
  if (el.attrs.Header !== undefined) {
    out.header = el.attrs.Header;
    at.set('trustedProxies.header', attrWhere('server.xml', el, 'Header'));
  }
  if (el.text !== '') fail('server.xml', el, 'put each address in its own <Proxy> element');
  for (const p of el.children) {
    if (p.name !== 'Proxy') {
      fail('server.xml', p, `unknown element <${p.name}> in <TrustedProxies>; expected <Proxy>`);
      continue;
    }
    noAttrs('server.xml', p, fail);
    at.set(`trustedProxies.addresses[${out.addresses.length}]`, where('server.xml', p));
    out.addresses.push(p.text);
  }
  return out;
}

/** `svc/<vhost name>/throttling.txt`, relative to the config directory (docs/config.md). */
export function rulesPath(vhost: string): string {
  return path.join('svc', vhost, 'throttling.txt');
}

const where = (file: string, el: XmlElement): Where => ({ file, line: el.line, column: el.column, path: el.path });
const attrWhere = (file: string, el: XmlElement, a: string): Where => ({ file, ...(el.attrAt[a] ?? { line: el.line, column: el.column }), path: `${el.path}/@${a}` });

type Fail = (file: string, el: XmlElement, message: string) => void;

function noAttrs(file: string, el: XmlElement, fail: Fail, allowed: string[] = []): void {
  for (const a of Object.keys(el.attrs)) {
    if (!allowed.includes(a)) fail(file, el, `unknown attribute ${a} on <${el.name}>${allowed.length ? `; expected ${allowed.join(' or ')}` : ''}`);
  }
}

/**
 * Map one `<Options>` to the plain form, one key per element text or attribute, and record
 * where each was written. Unknown elements and attributes are errors.
 */
function readOptions(file: string, options: XmlElement, prefix: string, at: Map<string, Where>, fail: Fail): VhostOptionsInput {
  const out: VhostOptionsInput = {};
  const seen = new Set<string>();
  const once = (el: XmlElement): boolean => {
    if (seen.has(el.path)) {
      fail(file, el, `duplicate <${el.name}>`);
      return false;
    }
    seen.add(el.path);
    return true;
  };
  const text = (el: XmlElement, key: keyof VhostOptionsInput): void => {
    if (el.text === '') return; // an empty element inherits
    (out as Record<string, unknown>)[key] = el.text;
    at.set(`${prefix}.${key}`, where(file, el));
  };
  const attr = (el: XmlElement, a: string, key: keyof VhostOptionsInput): void => {
    const v = el.attrs[a];
    if (v === undefined) return;
    (out as Record<string, unknown>)[key] = v;
    at.set(`${prefix}.${key}`, attrWhere(file, el, a));
  };
  const param = (el: XmlElement, key: 'bandwidth' | 'ratio' | 'boost'): void => {
    const v = el.attrs.Param;
    if (v === undefined) return;
    out.params = { ...out.params, [key]: v };
    at.set(`${prefix}.params.${key}`, attrWhere(file, el, 'Param'));
  };
  noAttrs(file, options, fail);
  for (const el of options.children) {
    if (!once(el)) continue;
    switch (el.name) {
      case 'TrafficCap':
        noAttrs(file, el, fail, ['Session']);
        text(el, 'trafficCap');
        attr(el, 'Session', 'sessionCap');
        break;
      case 'CaseSensitive':
        noAttrs(file, el, fail);
        text(el, 'caseSensitive');
        break;
      case 'Viewer':
        noAttrs(file, el, fail, ['Param', 'Cookie']);
        for (const [a, key] of [['Param', 'param'], ['Cookie', 'cookie']] as const) {
          const v = el.attrs[a];
          if (v === undefined) continue;
          out.viewer = { ...out.viewer, [key]: v };
          at.set(`${prefix}.viewer.${key}`, attrWhere(file, el, a));
        }
        break;
      case 'SessionKey':
        noAttrs(file, el, fail);
        text(el, 'sessionKey');
        break;
      case 'XAccelLimitRate':
        noAttrs(file, el, fail);
        text(el, 'xAccelLimitRate');
        break;
      case 'BandwidthThrottling':
        noAttrs(file, el, fail);
        for (const bt of el.children) {
          if (!once(bt)) continue;
          if (bt.name === 'Throttling') {
            noAttrs(file, bt, fail, ['QueryString']);
            text(bt, 'throttling');
            attr(bt, 'QueryString', 'queryString');
          } else if (bt.name === 'Settings') {
            noAttrs(file, bt, fail);
            for (const s of bt.children) {
              if (!once(s)) continue;
              if (s.name === 'Bandwidth') {
                noAttrs(file, s, fail, ['Unit', 'Param']);
                text(s, 'bandwidth');
                attr(s, 'Unit', 'unit');
                param(s, 'bandwidth');
              } else if (s.name === 'Ratio' || s.name === 'Boost') {
                noAttrs(file, s, fail, ['Param']);
                const key = s.name === 'Ratio' ? 'ratio' : 'boost';
                text(s, key);
                param(s, key);
              } else fail(file, s, `unknown element <${s.name}> in <Settings>; expected <Bandwidth>, <Ratio> or <Boost>`);
            }
          } else fail(file, bt, `unknown element <${bt.name}> in <BandwidthThrottling>; expected <Settings> or <Throttling>`);
        }
        break;
      default:
        fail(file, el, `unknown element <${el.name}> in <Options>; expected <TrafficCap>, <BandwidthThrottling>, <CaseSensitive>, <Viewer>, <SessionKey> or <XAccelLimitRate>`);
    }
  }
  return out;
}
