/**
 * What a URL path names by its extension, for segmented delivery (docs/segmented.md):
 * - `playlist`: `.m3u8` (HLS), `.mpd` (DASH);
 * - `segment`: `.ts`, `.m4s`, `.aac`, `.cmfv`, `.cmfa` — a media segment, or an init segment
 *   when a playlist names it so;
 * - `listed`: `.mp4` — a segment only when a playlist lists it (`EXT-X-MAP:URI="init.mp4"`),
 *   else a progressive file;
 * - null: anything else.
 *
 * @example
 * ```ts
 * segmentedKind('/hls/low/index.m3u8'); // 'playlist'
 * segmentedKind('/hls/low/seg_003.ts');  // 'segment'
 * segmentedKind('/vod/movie.mp4');       // 'listed'
 * ```
 */
export function segmentedKind(urlPath: string): 'playlist' | 'segment' | 'listed' | null {
  const dot = urlPath.lastIndexOf('.');
  if (dot < 0 || urlPath.indexOf('/', dot) >= 0) return null;
  switch (urlPath.slice(dot + 1).toLowerCase()) {
    case 'm3u8':
    case 'mpd':
      return 'playlist';
    case 'ts':
    case 'm4s':
    case 'aac':
    case 'cmfv':
    case 'cmfa':
      return 'segment';
    case 'mp4':
      return 'listed';
    default:
      return null;
  }
}
