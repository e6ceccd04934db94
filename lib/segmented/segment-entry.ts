/**
 * What a playlist says about one file it lists (docs/segmented.md): an init segment (the
 * HLS `EXT-X-MAP`, the DASH `Initialization`) or a media segment with its duration and its
 * sequence number. Paths are resolved against the playlist's own location.
 */
export type SegmentEntry =
  | { kind: 'init' }
  | {
      kind: 'media';
      /** Seconds; null when the playlist gives none that is finite and > 0. */
      duration: number | null;
      /** `EXT-X-MEDIA-SEQUENCE` + index (HLS), the `$Number$` (DASH). */
      seq: number;
    };

/** The entries of one playlist, looked up by a resolved path (`/hls/low/seg_003.ts`). */
export interface SegmentTable {
  find(path: string): SegmentEntry | null;
  /** Entries held, for bounds on the cache that keeps tables. */
  readonly size: number;
}

/** The most bytes of a playlist that are read or parsed: a bigger one is cut here. */
export const MAX_PLAYLIST_BYTES = 1024 * 1024;

/**
 * `uri` resolved against the playlist at `base` (a decoded path, `/`-separated), decoded;
 * null when it leaves the origin or is not a URI.
 */
export function resolvePath(uri: string, base: string): string | null {
  try {
    const encoded = base.split('/').map(encodeURIComponent).join('/');
    const u = new URL(uri, `http://h${encoded.startsWith('/') ? '' : '/'}${encoded}`);
    if (u.host !== 'h') return null;
    return decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
}
