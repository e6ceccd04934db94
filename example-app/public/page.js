/*
 * The example page: builds the players' URLs from the controls, and feeds the chart, the
 * legend and the sessions table from the server-sent stats (GET /_bandwidth/events).
 */
(function () {
  'use strict';

  const $ = function (id) { return document.getElementById(id); };
  const chart = new window.BandwidthChart($('chart'), { windowMs: 60000 });
  const formatRate = window.formatRate;

  // ---- players ----------------------------------------------------------------------

  function mediaUrl(file) {
    const url = new URL($('route').value + file, window.location.origin);
    ['mybandwidth', 'myratio', 'myboost'].forEach(function (name) {
      const value = $(name).value.trim();
      if (value !== '') url.searchParams.set(name, value);
    });
    return url.pathname + url.search;
  }

  function load(player, file, label) {
    const src = mediaUrl(file);
    label.textContent = src;
    if (player.getAttribute('src') !== src) player.setAttribute('src', src);
  }

  function applySettings() {
    load($('video'), $('video-file').value, $('video-url'));
    load($('audio'), $('audio-file').value, $('audio-url'));
  }

  $('settings').addEventListener('submit', function (event) {
    event.preventDefault();
    applySettings();
  });
  $('video-file').addEventListener('change', applySettings);
  $('audio-file').addEventListener('change', applySettings);
  applySettings();

  // The hint says what to do first; it goes once something plays.
  ['video', 'audio', 'hls-video'].forEach(function (id) {
    const player = $(id);
    if (player) player.addEventListener('play', function () { $('start-hint').hidden = true; });
  });

  // The file lists are the served directory's own files (GET /api/media), so `serve --media
  // DIR` shows DIR's media; the options written in the HTML are the bundled samples.
  const NOTES = { 'sample-faststart.mp4': 'moov first', 'sample-moovlast.mp4': 'moov last', 'sample.m4a': 'rule: no' };
  function fill(select, names) {
    if (names.length === 0) return;
    const current = select.value;
    select.textContent = '';
    names.forEach(function (name) {
      const option = document.createElement('option');
      option.value = name;
      option.textContent = NOTES[name] ? name + ' (' + NOTES[name] + ')' : name;
      select.appendChild(option);
    });
    if (names.indexOf(current) >= 0) select.value = current;
  }
  fetch('/api/media')
    .then(function (res) { return res.ok ? res.json() : []; })
    .then(function (files) {
      const names = files.map(function (f) { return f.name; });
      fill($('video-file'), names.filter(function (n) { return /\.(mp4|m4v|webm)$/i.test(n); }));
      fill($('audio-file'), names.filter(function (n) { return /\.(mp3|m4a|aac|ogg|opus|wav)$/i.test(n); }));
      document.body.dataset.mediaListed = String(names.length);
      applySettings();
    })
    .catch(function () { /* keep the bundled samples' names */ });

  // ---- live stats ---------------------------------------------------------------------

  let latest = null;

  // The snapshot's `rate` covers the last second, which a meter that sends in slices makes
  // jumpy (3 or 4 slices in a second is ±15 %). The chart shows the average over the last
  // few seconds instead, from the running `bytesSent` totals.
  const SMOOTH_MS = 3000;
  const totals = new Map();
  function smoothed(key, time, bytesSent, rate) {
    let seen = totals.get(key);
    if (!seen) totals.set(key, (seen = []));
    seen.push({ time, bytesSent });
    while (seen.length > 2 && seen[1].time <= time - SMOOTH_MS) seen.shift();
    const base = seen[0];
    if (time - base.time < SMOOTH_MS / 2 || bytesSent < base.bytesSent) return rate;
    return ((bytesSent - base.bytesSent) * 1000) / (time - base.time);
  }
  function forget(now) {
    for (const [key, seen] of totals) if (seen[seen.length - 1].time < now - 2 * SMOOTH_MS) totals.delete(key);
  }

  function planText(plan) {
    if (!plan) return '';
    if (!plan.throttle || plan.rate == null) return 'no BT';
    let text = formatRate(plan.rate);
    if (plan.dynamic) text += ' (media rate)';
    if (plan.boostSeconds) text += ', boost ' + plan.boostSeconds + ' s';
    return text;
  }

  function legendItem(key, label, rate, cap, cls) {
    const li = document.createElement('li');
    li.className = cls;
    li.dataset.series = key;
    li.dataset.bps = String(Math.round(rate));
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = chart.colour(key);
    const text = document.createElement('span');
    text.textContent = label + ': ' + formatRate(rate) + (cap > 0 ? ' of ' + formatRate(cap) : '');
    li.appendChild(swatch);
    li.appendChild(text);
    return li;
  }

  // The vhost this page is served from: by name, else the smallest cap (before any traffic
  // the chart's axis starts at this vhost's cap, not at an empty 0-8 kbps).
  function pageVhost(vhosts) {
    const named = vhosts.find(function (vh) { return vh.name === window.location.hostname; });
    if (named) return named.name;
    const capped = vhosts.filter(function (vh) { return vh.cap > 0 && vh.name !== '_unmatched'; }).sort(function (a, b) { return a.cap - b.cap; });
    return capped.length ? capped[0].name : null;
  }

  function render(snapshot) {
    const legend = $('legend');
    const home = pageVhost(snapshot.vhosts);
    const rows = $('sessions').tBodies[0];
    legend.textContent = '';
    rows.textContent = '';
    snapshot.vhosts.forEach(function (vh) {
      // `_unmatched` counts hosts that match no vhost: worth a line only once it has traffic.
      if (vh.name === '_unmatched' && vh.bytesSent === 0) return;
      const key = 'vhost:' + vh.name;
      const rate = smoothed(key, snapshot.time, vh.bytesSent, vh.rate);
      // Chart the page's vhost from the start, and the others once they have served
      // something, so an idle vhost's cap does not squash the scale; the legend lists them all.
      if (vh.bytesSent > 0 || vh.name === home) chart.push(key, snapshot.time, rate, { cap: vh.cap, label: vh.name, width: 3 });
      legend.appendChild(legendItem(key, `${vh.name} total (${vh.activeSessions} session${vh.activeSessions === 1 ? '' : 's'})`, rate, vh.cap, 'vhost'));
    });
    snapshot.sessions.forEach(function (s) {
      const key = 'session:' + s.id;
      const rate = smoothed(key, snapshot.time, s.bytesSent, s.rate);
      chart.push(key, snapshot.time, rate, { label: s.id });
      legend.appendChild(legendItem(key, s.id + ' (' + s.vhost + ')', rate, 0, 'session'));
      const tr = document.createElement('tr');
      tr.dataset.session = s.id;
      [s.id, s.vhost, s.ip, formatRate(rate), planText(s.plan), (s.bytesSent / 1024).toFixed(0) + ' KiB']
        .forEach(function (cell) {
          const td = document.createElement('td');
          td.textContent = cell;
          tr.appendChild(td);
        });
      rows.appendChild(tr);
    });
    forget(snapshot.time);
  }

  function frame() {
    chart.draw(latest ? latest.time : Date.now());
    requestAnimationFrame(frame);
  }
  requestAnimationFrame(frame);

  const events = new EventSource('/_bandwidth/events');
  events.addEventListener('open', function () { $('status').textContent = 'live'; });
  events.addEventListener('error', function () { $('status').textContent = 'reconnecting…'; });
  events.addEventListener('stats', function (event) {
    latest = JSON.parse(event.data);
    render(latest);
    document.body.dataset.statsTime = String(latest.time);
  });
})();
