/*
 * A small time-series line chart on a <canvas>, written for this page so that it needs no
 * build step and no dependency. Series are keyed by name; each point is { t: ms, v: bytes/s }.
 * A series may carry a cap (bytes/s), drawn as a dashed line in its colour.
 */
(function () {
  'use strict';

  // Vhost totals and sessions draw from different palettes, so a session never takes the
  // colour of a total.
  const VHOST_PALETTE = ['#1f6feb', '#d1242f', '#1a7f37', '#8250df'];
  const SESSION_PALETTE = ['#bf8700', '#0a7ea4', '#e16f24', '#6e7781', '#bf3989', '#2da44e', '#953800', '#54aeff'];

  function formatRate(bytesPerSecond) {
    const bits = bytesPerSecond * 8;
    if (bits >= 1e6) return `${(bits / 1e6).toFixed(bits >= 1e7 ? 1 : 2)} Mbps`;
    return `${Math.round(bits / 1e3)} kbps`;
  }

  // 1, 2 or 5 × 10^n: the smallest such step that gives at most `count` ticks up to `max`.
  function niceStep(max, count) {
    const raw = max / count;
    const pow = 10 ** Math.floor(Math.log10(raw));
    for (const m of [1, 2, 5]) if (m * pow >= raw) return m * pow;
    return 10 * pow;
  }

  class BandwidthChart {
    constructor(canvas, options) {
      this.canvas = canvas;
      this.windowMs = (options && options.windowMs) || 60000;
      this.series = new Map();
      this.colours = new Map();
      this.used = { vhost: 0, session: 0 };
    }

    colour(key) {
      if (!this.colours.has(key)) {
        const kind = key.startsWith('vhost:') ? 'vhost' : 'session';
        const palette = kind === 'vhost' ? VHOST_PALETTE : SESSION_PALETTE;
        this.colours.set(key, palette[this.used[kind] % palette.length]);
        this.used[kind] += 1;
      }
      return this.colours.get(key);
    }

    /** Add one point to `key`, creating the series on first use. */
    push(key, t, v, extra) {
      let s = this.series.get(key);
      if (!s) {
        s = { key, points: [], cap: 0, label: key, width: 1.5 };
        this.series.set(key, s);
      }
      Object.assign(s, extra || {});
      s.points.push({ t, v });
    }

    /** Forget points older than the window, and series with none left. */
    prune(now) {
      const from = now - this.windowMs;
      for (const [key, s] of this.series) {
        while (s.points.length && s.points[0].t < from) s.points.shift();
        if (!s.points.length) this.series.delete(key);
      }
    }

    draw(now) {
      const { canvas, windowMs } = this;
      const g = canvas.getContext('2d');
      const w = canvas.width;
      const h = canvas.height;
      const pad = { left: 72, right: 12, top: 12, bottom: 26 };
      this.prune(now);

      let max = 1000; // never an empty axis: at least 8 kbps
      for (const s of this.series.values()) {
        max = Math.max(max, s.cap, ...s.points.map((p) => p.v));
      }
      const step = niceStep(max * 1.1, 5);
      const yMax = Math.ceil((max * 1.1) / step) * step;
      canvas.dataset.yMax = String(yMax); // the axis top, bytes/s, for tests
      const x = (t) => pad.left + ((t - (now - windowMs)) / windowMs) * (w - pad.left - pad.right);
      const y = (v) => pad.top + (1 - v / yMax) * (h - pad.top - pad.bottom);

      g.clearRect(0, 0, w, h);
      g.font = '11px system-ui, sans-serif';
      g.lineWidth = 1;
      g.strokeStyle = '#e3e7ee';
      g.fillStyle = '#5b6575';
      g.textAlign = 'right';
      g.textBaseline = 'middle';
      for (let v = 0; v <= yMax + step / 2; v += step) {
        g.beginPath();
        g.moveTo(pad.left, y(v));
        g.lineTo(w - pad.right, y(v));
        g.stroke();
        g.fillText(formatRate(v), pad.left - 6, y(v));
      }
      g.textAlign = 'center';
      g.textBaseline = 'top';
      for (let s = 0; s <= windowMs / 1000; s += 10) {
        g.fillText(s === 0 ? 'now' : `-${s} s`, x(now - s * 1000), h - pad.bottom + 8);
      }

      for (const s of this.series.values()) {
        const colour = this.colour(s.key);
        if (s.cap > 0) {
          g.setLineDash([6, 4]);
          g.strokeStyle = colour;
          g.lineWidth = 1;
          g.beginPath();
          g.moveTo(pad.left, y(s.cap));
          g.lineTo(w - pad.right, y(s.cap));
          g.stroke();
          g.setLineDash([]);
          g.fillStyle = colour;
          g.textAlign = 'right';
          g.textBaseline = 'bottom';
          g.fillText(`${s.label} cap ${formatRate(s.cap)}`, w - pad.right - 4, y(s.cap) - 2);
        }
        g.strokeStyle = colour;
        g.lineWidth = s.width;
        g.beginPath();
        s.points.forEach((p, i) => (i === 0 ? g.moveTo(x(p.t), y(p.v)) : g.lineTo(x(p.t), y(p.v))));
        g.stroke();
      }
    }
  }

  window.BandwidthChart = BandwidthChart;
  window.formatRate = formatRate;
})();
