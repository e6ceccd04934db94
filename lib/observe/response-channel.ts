import diagnosticsChannel from 'node:diagnostics_channel';

/**
 * Every finished response's {@link ResponseRecord} is published here, for APMs and
 * tracing tools that subscribe by name without a reference to the middleware.
 *
 * @example
 * ```ts
 * import diagnosticsChannel from 'node:diagnostics_channel';
 * diagnosticsChannel.subscribe('koa-bandwidth:response', (record) => console.log(record));
 * ```
 */
export const RESPONSE_CHANNEL = 'koa-bandwidth:response';

export const responseChannel = diagnosticsChannel.channel(RESPONSE_CHANNEL);
