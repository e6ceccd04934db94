/** Why an SDP was refused. Stable: callers and tests may switch on it. */
export type SdpErrorReason =
  | 'not-a-string'
  | 'too-large'
  | 'not-sdp'
  | 'bad-line'
  | 'bad-media'
  | 'bad-bandwidth'
  | 'unexpected-line';

/**
 * A session description that cannot be edited safely. The SDP functions check the whole
 * description before they write anything, so this error means no output at all, never a
 * half-edited one.
 */
export class SdpError extends Error {
  readonly code = 'ERR_BANDWIDTH_SDP';
  /** What is wrong, in a word that does not change between releases. */
  readonly reason: SdpErrorReason;
  /** 1-based line of the SDP where the problem is; 0 when it is the whole input. */
  readonly line: number;

  constructor(reason: SdpErrorReason, line: number, detail: string) {
    super(`koa-bandwidth: malformed SDP${line > 0 ? ` at line ${line}` : ''}: ${detail}`);
    this.name = 'SdpError';
    this.reason = reason;
    this.line = line;
  }
}
