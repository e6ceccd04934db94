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

  // ---- live stats ---------------------------------------------------------------------

  let latest = null;

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
    li.dataset.bps = String(rate);
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = chart.colour(key);
    const text = document.createElement('span');
    text.textContent = label + ': ' + formatRate(rate) + (cap > 0 ? ' of ' + formatRate(cap) : '');
    li.appendChild(swatch);
    li.appendChild(text);
    return li;
  }

  function render(snapshot) {
    const legend = $('legend');
    const rows = $('sessions').tBodies[0];
    legend.textContent = '';
    rows.textContent = '';
    snapshot.vhosts.forEach(function (vh) {
      const key = 'vhost:' + vh.name;
      chart.push(key, snapshot.time, vh.rate, { cap: vh.cap, label: vh.name, width: 3 });
      legend.appendChild(legendItem(key, `${vh.name} total (${vh.activeSessions} session${vh.activeSessions === 1 ? '' : 's'})`, vh.rate, vh.cap, 'vhost'));
    });
    snapshot.sessions.forEach(function (s) {
      const key = 'session:' + s.id;
      chart.push(key, snapshot.time, s.rate, { label: s.id });
      legend.appendChild(legendItem(key, s.id + ' (' + s.vhost + ')', s.rate, 0, 'session'));
      const tr = document.createElement('tr');
      tr.dataset.session = s.id;
      [s.id, s.vhost, s.ip, formatRate(s.rate), planText(s.plan), (s.bytesSent / 1024).toFixed(0) + ' KiB']
        .forEach(function (cell) {
          const td = document.createElement('td');
          td.textContent = cell;
          tr.appendChild(td);
        });
      rows.appendChild(tr);
    });
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
