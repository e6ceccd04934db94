/**
 * Something in a config that is valid but almost certainly not what its author meant: it
 * would make the middleware do nothing, or much less than it seems to say. `check` prints
 * these, and `bandwidth()` reports each once at startup (docs/config.md, "Warnings").
 */
export class ConfigWarning {
  /** A stable code callers may switch on. */
  readonly code: WarningCode;
  readonly message: string;
  /** The file the problem is in; `<options>` for plain options. */
  readonly file: string;
  /** 1-based line, or 0 when unknown. */
  readonly line: number;
  /** 1-based column, or 0 when unknown. */
  readonly column: number;

  constructor(code: WarningCode, message: string, where: { file: string; line?: number; column?: number }) {
    this.code = code;
    this.message = message;
    this.file = where.file;
    this.line = where.line ?? 0;
    this.column = where.column ?? 0;
  }

  /** `file:line:col: warning: message`, the form `koa-bandwidth check` prints. */
  format(): string {
    return `${this.file}:${this.line}:${this.column}: warning: ${this.message}`;
  }
}

/**
 * - `NX_TOO_SMALL`: an `Nx` bandwidth whose fallback N is under 10 kbps (`1.2x`), which reads
 *   like a ratio.
 * - `THROTTLING_OFF`: a vhost has rules, but `<Throttling>` is off by default, so none apply.
 * - `ONE_VHOST_NO_DEFAULT`: one vhost and no `<Default>`: other names for the same server
 *   (`127.0.0.1` for `localhost`) pass through unmetered.
 * - `UNKNOWN_HOST`: at run time, a request for a host no vhost matches, on such a config.
 * - `ROUTE_WITHOUT_BANDWIDTH`: at run time, `route()` ran with no `bandwidth()` before it.
 */
export type WarningCode = 'NX_TOO_SMALL' | 'THROTTLING_OFF' | 'ONE_VHOST_NO_DEFAULT' | 'UNKNOWN_HOST' | 'ROUTE_WITHOUT_BANDWIDTH';

/** An `Nx` fallback below this many bytes/s (10 kbps) reads like a ratio. */
export const NX_WARN_BELOW = 1250;
