import { mediaKind } from '../../lib/media/media-kind';

describe('mediaKind', () => {
  it.each([
    ['/vod/movie.mp4', 'mp4'],
    ['/vod/Movie.MP4', 'mp4'],
    ['/music/a.m4a', 'mp4'],
    ['/music/a.M4A', 'mp4'],
    ['/music/a.mp3', 'mp3'],
    ['/a.b/c.Mp3', 'mp3'],
    ['/index.html', null],
    ['/vod/movie.mp4/', null],
    ['/vod.mp4/readme', null],
    ['/vod/movie.mp4.part', null],
    ['/vod/movie', null],
    ['/vod/mp4', null],
    ['', null],
    ['/.mp3', 'mp3'],
  ])('%j is %j', (path, kind) => {
    expect(mediaKind(path)).toBe(kind);
  });
});
