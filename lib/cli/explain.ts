import { loadConfigDir } from '../config/load-config-dir';
import { VhostTable } from '../config/vhost-table';
import { ConfigErrors } from '../errors';
import { DEFAULT_LIMITS, resolvePlan, withEncodingRate, type ResolveExtras } from '../policy/resolve-plan';
import { takeBtParams } from '../policy/take-bt-params';
import { resolveClientAddress } from '../policy/trusted-proxies';
import { sessionIdOf } from '../session-key';
import { SegmentIndex } from '../segmented/segment-index';
import { segmentedKind } from '../segmented/segment-kind';
import { segmentPlan } from '../segmented/segment-plan';
import { viewerKey } from '../segmented/viewer-key';
import type { Plan } from '../types';
import fs from 'node:fs/promises';
import { isIP } from 'node:net';
import { existingDir, parseFlags, single, UsageError } from './args';
import type { CliIo } from './args';

/** Reads a media file's encoding rate (bits/s) for `--file`; the real one is the media probe. */
export type ExplainProbe = (file: string) => Promise<{ bitrate: number | null }>;

/** The JSON `explain` prints (docs/config.md, "CLI"). Field names are a contract. */
export interface ExplainOutput {
  vhost: string | null;
  throttle: boolean;
  rule: { line: number; text: string } | null;
  /** Effective rate after ratio, 1000 bit/s; null when no BT. */
  bandwidthKbps: number | null;
  ratio: number;
  boostSeconds: number;
  boostBytes: number;
  dynamic: boolean;
  /** 1000 bit/s; 0 = none. */
  sessionCapKbps: number;
  /** 1 000 000 bit/s; 0 = none. */
  trafficCapMbps: number;
  /** As seen downstream: BT params stripped. */
  url: string;
  /**
   * HLS/DASH URLs only (docs/segmented.md): what the segment is (from the playlists next to
   * `--file`), its duration and encoding rate, and the viewer the request belongs to. The
   * plan above is a paced segment's, after the viewer's boost.
   */
  segment?: { kind: 'playlist' | 'init' | 'media'; durationSeconds: number | null; seq: number | null; encodingKbps: number | null; viewer: string; viewerSource: string };
  /** Query values not read, and why (docs/config.md): the field fell through to route, rules or settings. */
  ignored: ExplainQueryNote[];
  /** Query values read but lowered to the limits. */
  clamped: ExplainQueryNote[];
  /**
   * The client address rules and sessions see: `--ip` is the peer; with `<TrustedProxies>` the
   * forwarding header given with `--header` is walked. `via` is the trusted hop that reported
   * the address (null: the peer itself); `source` is `socket` or the header.
   */
  client: { ip: string; source: string; via: string | null };
  /**
   * The session: `key` as `<SessionKey>` says it (`default` when the vhost has none: the app's
   * `session` option decides, the connection unless told otherwise); `id` as stats and records
   * show it, or null when the connection is the session.
   */
  session: { key: string; id: string | null };
}

/** One query value `explain` did not take as written. */
export interface ExplainQueryNote {
  param: string;
  /** As the client sent it; an array when the param was repeated. */
  value: string | readonly string[];
  reason: string;
}

/**
 * `koa-bandwidth explain --conf DIR --url URL [--host HOST] [--ip IP] [--header 'Name: value']... [--method M] [--type MIME] [--file PATH]`:
 * print the plan the middleware would resolve. Host comes from --host, else a `Host`
 * --header, else an absolute --url, else the `<Default>` vhost applies. `--ip` is the peer
 * (default 127.0.0.1); behind `<TrustedProxies>` give the forwarding header with --header.
 * `--method` (default GET) and `--type` (the response's Content-Type) feed METHOD and MIME rules.
 */
export async function explainCommand(argv: readonly string[], io: CliIo, deps: { probe?: ExplainProbe } = {}): Promise<number> {
  const flags = parseFlags(argv, ['conf', 'url', 'host', 'ip', 'header', 'file', 'method', 'type']);
  const dir = existingDir('conf', single(flags, 'conf', true));
  const ipFlag = single(flags, 'ip');
  if (ipFlag !== undefined && isIP(ipFlag) === 0) throw new UsageError(`--ip "${ipFlag}" is not an IPv4 or IPv6 address`);
  const rawUrl = single(flags, 'url', true);
  const file = single(flags, 'file');
  let url: URL;
  try {
    url = new URL(rawUrl, 'http://explain.invalid');
  } catch {
    throw new UsageError(`--url "${rawUrl}" is not a URL`);
  }
  const absolute = /^[a-z][a-z0-9+.-]*:\/\//i.test(rawUrl);
  const headers: Record<string, string> = {};
  for (const h of flags.get('header') ?? []) {
    const colon = h.indexOf(':');
    if (colon <= 0) throw new UsageError(`--header "${h}" must be "Name: value"`);
    headers[h.slice(0, colon).trim().toLowerCase()] = h.slice(colon + 1).trim();
  }
  const host = single(flags, 'host') ?? headers.host ?? (absolute ? url.host : undefined);
  if (host !== undefined) headers.host = host;

  let table: VhostTable;
  try {
    table = new VhostTable(loadConfigDir(dir, { geoip: true }));
  } catch (err) {
    if (!(err instanceof ConfigErrors)) throw err;
    for (const e of err.errors) io.stderr(`${e.format()}\n`);
    return 1;
  }
  const querystring = url.search.slice(1);
  const vhost = table.lookup(host);
  const peer = single(flags, 'ip') ?? '127.0.0.1';
  const client = resolveClientAddress(peer, headers, table.config.trustedProxies ?? null);
  const out: ExplainOutput = {
    vhost: null,
    throttle: false,
    rule: null,
    bandwidthKbps: null,
    ratio: 100,
    boostSeconds: 0,
    boostBytes: 0,
    dynamic: false,
    sessionCapKbps: 0,
    trafficCapMbps: 0,
    url: url.pathname + url.search,
    ignored: [],
    clamped: [],
    client: { ip: client.ip, source: client.source, via: client.via },
    session: { key: 'default', id: null },
  };
  if (vhost !== null) {
    const taken = takeBtParams(vhost, querystring);
    let path = url.pathname;
    try {
      path = decodeURIComponent(path);
    } catch {
      // keep the raw path, as the middleware does
    }
    const ip = client.ip;
    const spec = vhost.sessionKey ?? null;
    const viewerId = (): string => viewerKey({ querystring, headers, ip }, vhost.viewer).id;
    out.session = { key: spec?.text ?? 'default', id: spec ? sessionIdOf(spec, { headers, url: url.pathname + url.search, clientIp: () => ip, viewerId }) : null };
    const onQueryValue: ResolveExtras['onQueryValue'] = (_field, value, outcome, reason, param) => out[outcome].push({ param, value, reason });
    let plan: Plan = resolvePlan({ ip, path, headers, query: taken.query, protocol: client.protocol ?? 'http', method: (single(flags, 'method') ?? 'GET').toUpperCase(), mime: (single(flags, 'type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '' }, vhost, null, DEFAULT_LIMITS, { onQueryValue });
    const kind = segmentedKind(path);
    const entry = kind === null || kind === 'playlist' || file === undefined ? null : await new SegmentIndex().fromDisk(file);
    if (kind === 'playlist' || (kind === 'segment' || entry !== null)) {
      const viewer = viewerKey({ querystring, headers, ip }, vhost.viewer);
      const size = file === undefined ? null : await fs.stat(file).then((st) => st.size, () => null);
      const segKind = kind === 'playlist' ? 'playlist' : entry?.kind === 'init' ? 'init' : 'media';
      const duration = entry?.kind === 'media' ? entry.duration : null;
      const seq = entry?.kind === 'media' ? entry.seq : null;
      plan = segmentPlan(plan, { kind: segKind, duration, seq, boosted: 0, viewer: viewer.id, viewerSource: viewer.source }, size);
      out.segment = {
        kind: segKind,
        durationSeconds: duration,
        seq,
        encodingKbps: size !== null && duration !== null ? round((size * 8) / duration / 1000) : null,
        viewer: viewer.id,
        viewerSource: viewer.source,
      };
    } else if (file !== undefined && plan.dynamic) {
      if (!deps.probe) throw new UsageError('--file needs the media probe, which this build lacks');
      plan = withEncodingRate(plan, (await deps.probe(file)).bitrate);
    }
    Object.assign(out, toExplainOutput(plan), { url: url.pathname + (taken.querystring ? `?${taken.querystring}` : '') });
  }
  io.stdout(`${JSON.stringify(out)}\n`);
  return 0;
}

/** A Plan in explain's units. */
export function toExplainOutput(plan: Plan): Omit<ExplainOutput, 'url' | 'ignored' | 'clamped' | 'client' | 'session'> {
  return {
    vhost: plan.vhost,
    throttle: plan.throttle,
    rule: plan.rule,
    bandwidthKbps: plan.rate === null ? null : round((plan.rate * 8) / 1000),
    ratio: plan.ratio,
    boostSeconds: plan.boostSeconds,
    boostBytes: Math.round(plan.boostBytes),
    dynamic: plan.dynamic,
    sessionCapKbps: round((plan.sessionCap * 8) / 1000),
    trafficCapMbps: round((plan.trafficCap * 8) / 1_000_000),
  };
}

/** Six decimals: enough for any unit, and no binary-fraction noise in the JSON. */
const round = (n: number): number => Math.round(n * 1e6) / 1e6;
