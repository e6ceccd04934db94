/** A container the probe understands. */
export type MediaKind = 'mp4' | 'mp3';

/**
 * Which container a URL path names by its extension (docs/spec.md §4: only `.mp4`, `.m4a` and
 * `.mp3` are probed, as the chapter says). Case-insensitive; the query is not part of a path.
 *
 * @example
 * ```ts
 * mediaKind('/vod/Movie.MP4'); // 'mp4'
 * mediaKind('/music/a.m4a');   // 'mp4'
 * mediaKind('/index.html');    // null
 * ```
 */
export function mediaKind(urlPath: string): MediaKind | null {
  const dot = urlPath.lastIndexOf('.');
  if (dot < 0 || urlPath.indexOf('/', dot) >= 0) return null;
  switch (urlPath.slice(dot + 1).toLowerCase()) {
    case 'mp4':
    case 'm4a':
      return 'mp4';
    case 'mp3':
      return 'mp3';
    default:
      return null;
  }
}
