/*
 * The page's HLS player: hls.js plays /hls/master.m3u8 (three renditions, made by
 * scripts/make-hls-fixtures.sh) through the `$URL[/hls/*], x, 150, 4` rule, and shows the
 * rendition it picked. Under the vhost's session cap the player settles on what fits
 * (docs/segmented.md, "Quality by plan"). Loaded on a click, so the page opens no HLS session
 * by itself.
 */
(function () {
  'use strict';

  const $ = function (id) { return document.getElementById(id); };
  const Hls = window.Hls;
  if (!Hls || !Hls.isSupported()) {
    $('hls-play').disabled = true;
    $('hls-level').textContent = Hls ? 'this browser has no Media Source Extensions' : 'hls.js is not installed (npm install hls.js)';
    return;
  }
  let hls = null;
  $('hls-play').addEventListener('click', function () {
    if (hls) hls.destroy();
    // CMCD gives the server a session id: every request of this player is one viewer.
    hls = new Hls({ cmcd: {} });
    hls.on(Hls.Events.LEVEL_SWITCHED, function (_, data) {
      const level = hls.levels[data.level];
      $('hls-level').textContent = 'rendition ' + data.level + ': ' + level.height + 'p, BANDWIDTH ' + Math.round(level.bitrate / 1000) + ' kbps';
    });
    hls.loadSource('/hls/master.m3u8');
    hls.attachMedia($('hls-video'));
    $('hls-video').play().catch(function () {});
  });
})();
