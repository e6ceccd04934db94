'use strict';
// Throughput over time as a small standalone SVG line chart (no dependencies).

const COLORS = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e'];

function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * series: [{name, points: [[seconds, mbps], ...]}]; capMbps draws a dashed reference line.
 * Returns the SVG text.
 */
function lineChart({ title, series, capMbps, width = 800, height = 380, note = '' }) {
  const m = { l: 56, r: 230, t: 48, b: 44 };
  const w = width - m.l - m.r;
  const h = height - m.t - m.b;
  const all = series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...all.map((p) => p[0]));
  const yMax = niceCeil(Math.max(capMbps || 0, ...all.map((p) => p[1])) * 1.15 || 1);
  const x = (v) => m.l + (v / xMax) * w;
  const y = (v) => m.t + h - (v / yMax) * h;
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  out.push(`<text x="${m.l}" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`);
  for (let i = 0; i <= 5; i++) {
    const v = (yMax * i) / 5;
    out.push(`<line x1="${m.l}" x2="${m.l + w}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`);
    out.push(`<text x="${m.l - 6}" y="${y(v) + 4}" text-anchor="end">${round(v)}</text>`);
  }
  const xStep = niceCeil(xMax / 8);
  for (let v = 0; v <= xMax + 1e-9; v += xStep) {
    out.push(`<text x="${x(v)}" y="${m.t + h + 16}" text-anchor="middle">${round(v)}</text>`);
  }
  out.push(`<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${m.t + h}" stroke="#333"/>`);
  out.push(`<line x1="${m.l}" x2="${m.l + w}" y1="${m.t + h}" y2="${m.t + h}" stroke="#333"/>`);
  out.push(`<text x="${m.l + w / 2}" y="${height - 8}" text-anchor="middle">seconds into the measurement window</text>`);
  out.push(`<text transform="translate(14 ${m.t + h / 2}) rotate(-90)" text-anchor="middle">Mbit/s (aggregate)</text>`);
  if (capMbps) {
    out.push(`<line x1="${m.l}" x2="${m.l + w}" y1="${y(capMbps)}" y2="${y(capMbps)}" stroke="#555" stroke-dasharray="5 4"/>`);
    out.push(`<text x="${m.l + w + 6}" y="${y(capMbps) + 4}">cap ${round(capMbps)}</text>`);
  }
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    if (s.points.length) {
      const d = s.points.map((p, j) => `${j ? 'L' : 'M'}${x(p[0]).toFixed(1)} ${y(p[1]).toFixed(1)}`).join(' ');
      out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    }
    const ly = m.t + 24 + i * 18;
    out.push(`<line x1="${m.l + w + 10}" x2="${m.l + w + 28}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="${s.points.length ? 2 : 1}" ${s.points.length ? '' : 'stroke-dasharray="2 3"'}/>`);
    out.push(`<text x="${m.l + w + 32}" y="${ly + 4}">${esc(s.name)}${s.points.length ? '' : ' (n/a)'}</text>`);
  });
  if (note) out.push(`<text x="${m.l}" y="36" fill="#666">${esc(note)}</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function niceCeil(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const k of [1, 2, 2.5, 5, 10]) if (k * p >= v) return k * p;
  return 10 * p;
}

function round(v) {
  return Math.round(v * 100) / 100;
}

module.exports = { lineChart };
