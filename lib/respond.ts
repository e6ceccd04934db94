import type { Context } from 'koa';
import type { BandwidthRuntime, BandwidthState } from './middleware';

/**
 * The middleware's second half, run after downstream: meter the response by
 * `state.plan` (SPEC §5). In this branch it is a deliberate no-op; the meter is wired in
 * by the lead. It must not throw for a skipped response (HEAD, 204/205/304, null body).
 */
export async function respond(_ctx: Context, _state: BandwidthState, _runtime: BandwidthRuntime): Promise<void> {}
