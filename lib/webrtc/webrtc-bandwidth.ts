import { debuglog } from 'node:util';
import type { Context, Next } from 'koa';
import { OptionError } from '../errors';
import { callPlan } from './call-plan';
import { MAX_SDP_CHARS } from './parse-sdp';
import { readBody } from './read-body';
import { SdpError } from './sdp-error';
import { checkSdpPlan, type SdpBandwidthPlan } from './sdp-plan';
import { shapeSdp, type SectionParameters } from './set-sdp-bandwidth';

const debug = debuglog('koa-bandwidth');

/** Options of `webrtcBandwidth()`. */
export interface WebrtcBandwidthOptions {
  /** How audio and video share the plan's rate. Default `{ audio: 1, video: 9 }`. */
  shares?: SdpBandwidthPlan['shares'];
  /** Also write `b=RS`/`b=RR` (RFC 3556), as fractions of each section's rate; e.g. `RTCP_RFC3550`. */
  rtcp?: SdpBandwidthPlan['rtcp'];
  /**
   * The key under which a JSON response body gets the sender parameters (`null` when the
   * plan sets no limit). `false`: the body keeps its own keys only. Default `'bandwidth'`.
   */
  field?: string | false;
  /**
   * Read a JSON or `application/sdp` request body when no body parser has set
   * `ctx.request.body`. Default true. At most 512 KiB is kept; more is a 413.
   */
  readBody?: boolean;
}

/** What the helper leaves at `ctx.state.webrtcBandwidth` for the route's handler. */
export interface WebrtcBandwidthState {
  /** The plan written into descriptions; null when none applies (the SDP is left as it is). */
  plan: SdpBandwidthPlan | null;
  /** Sender parameters for the last description edited (request, then response). */
  parameters: SectionParameters[];
}

/** The body of a WebRTC signalling message: `RTCSessionDescriptionInit` or any object with `sdp`. */
type Described = Record<string, unknown> & { sdp: string };

const BODY_LIMIT = 2 * MAX_SDP_CHARS;

/**
 * Puts the request's plan into the session descriptions of a signalling route. Mount it
 * after `bandwidth()` (and after `route()` for a per-route plan): the plan is the one the
 * middleware resolved for this request (query > route > rules > settings), never a second
 * resolution. It edits the SDP of the request body (an offer or answer the client posts)
 * and of the response body (an object with `sdp`, or an `application/sdp` string such as a
 * WHIP answer), and adds the same limits as `setParameters()` values to a JSON response.
 * A `no` plan, or none, leaves every description untouched.
 *
 * @example
 * ```ts
 * router.post('/call/answer', webrtcBandwidth(), async (ctx) => {
 *   ctx.body = await rooms.answer(ctx.request.body); // { type: 'answer', sdp }
 * });
 * ```
 * @throws OptionError for bad options. A request with a malformed SDP gets a 400 naming the line.
 */
export function webrtcBandwidth(opts: WebrtcBandwidthOptions = {}): (ctx: Context, next: Next) => Promise<void> {
  if (opts === null || typeof opts !== 'object') throw new OptionError('webrtcBandwidth', 'an object { shares?, rtcp?, field?, readBody? }', opts);
  for (const k of Object.keys(opts)) if (!['shares', 'rtcp', 'field', 'readBody'].includes(k)) throw new OptionError(`webrtcBandwidth.${k}`, 'one of shares, rtcp, field, readBody', (opts as Record<string, unknown>)[k]);
  const extra: Omit<SdpBandwidthPlan, 'bitsPerSecond'> = {};
  // Checked once, and kept as the checked copy: a later change to the caller's object does nothing.
  const checked = checkSdpPlan({ bitsPerSecond: 1, ...(opts.shares !== undefined ? { shares: opts.shares } : {}), ...(opts.rtcp !== undefined ? { rtcp: opts.rtcp } : {}) }, 'webrtcBandwidth');
  extra.shares = { audio: checked.audio, video: checked.video };
  if (checked.rtcp) extra.rtcp = checked.rtcp;
  const field = opts.field ?? 'bandwidth';
  if (field !== false && (typeof field !== 'string' || field === '' || field === 'sdp')) throw new OptionError('webrtcBandwidth.field', "a non-empty key other than 'sdp', or false", field);
  const read = opts.readBody ?? true;
  if (typeof read !== 'boolean') throw new OptionError('webrtcBandwidth.readBody', 'a boolean', read);

  return async function webrtcBandwidthMiddleware(ctx: Context, next: Next): Promise<void> {
    const plan = callPlan(ctx.bandwidth?.plan, extra);
    if (!ctx.bandwidth) debug('webrtc %s: no bandwidth state (host outside every vhost, or bandwidth() not mounted before)', ctx.path);
    const state: WebrtcBandwidthState = { plan, parameters: [] };
    ctx.state.webrtcBandwidth = state;

    const request = ctx.request as typeof ctx.request & { body?: unknown };
    // A string body is an SDP only when it says so: a text body parser's string is not edited.
    const rawRequest = Boolean(ctx.is('application/sdp'));
    // A stream something else already read to its end would never end again: leave it be.
    if (request.body === undefined && read && !ctx.req.readableEnded && ctx.is('application/json', 'application/sdp')) request.body = await parseBody(ctx);
    if (plan && request.body !== undefined) {
      try {
        request.body = edit(request.body, rawRequest, plan, state, false);
      } catch (err) {
        if (err instanceof SdpError) ctx.throw(400, err.message, { code: err.code, reason: err.reason, line: err.line });
        throw err;
      }
    }

    await next();

    const body: unknown = ctx.body;
    const rawResponse = typeof body === 'string' && Boolean(ctx.response.is('application/sdp'));
    if (rawResponse || isDescribed(body)) {
      // A malformed SDP the app itself wrote throws here (a 500): better than a half-edit.
      const status = ctx.status;
      const type = ctx.response.get('Content-Type');
      const edited = plan ? edit(body, rawResponse, plan, state, field) : field !== false && isDescribed(body) ? { ...body, [field]: null } : body;
      if (edited !== body) {
        ctx.body = edited;
        // Replacing the body resets what Koa inferred: keep what the app chose.
        ctx.status = status;
        if (type) ctx.type = type;
      }
    }
  };
}

async function parseBody(ctx: Context): Promise<unknown> {
  const text = await readBody(ctx, BODY_LIMIT);
  if (ctx.is('application/sdp')) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return ctx.throw(400, 'request body is not valid JSON');
  }
}

/** Edits an `application/sdp` string or an object's `sdp`; other bodies pass through. Never mutates. */
function edit(body: unknown, raw: boolean, plan: SdpBandwidthPlan, state: WebrtcBandwidthState, field: string | false): unknown {
  if (raw && typeof body === 'string') {
    const shaped = shapeSdp(body, plan);
    state.parameters = shaped.parameters;
    return shaped.sdp;
  }
  if (!isDescribed(body)) return body;
  const shaped = shapeSdp(body.sdp, plan);
  state.parameters = shaped.parameters;
  return field === false ? { ...body, sdp: shaped.sdp } : { ...body, sdp: shaped.sdp, [field]: { maxBitrate: plan.bitsPerSecond, sections: shaped.parameters } };
}

function isDescribed(body: unknown): body is Described {
  return body !== null && typeof body === 'object' && !Array.isArray(body) && !Buffer.isBuffer(body) && typeof (body as { sdp?: unknown }).sdp === 'string' && Object.getPrototypeOf(body) === Object.prototype;
}
