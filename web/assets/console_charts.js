// Small charts of /metrics figures: the Prometheus text format (0.0.4) read line by line, and
// horizontal bars drawn as inline SVG with DOM calls (no library, no markup strings; the
// attributes are SVG presentation attributes, not inline style, so the CSP holds).
import { element } from './console_kit.js';

const svgNs = 'http://www.w3.org/2000/svg';

// `name{a="x",b="y"} 12` lines into { name, labels, value }; comments and anything that does
// not read as a sample are skipped.
export function parseMetrics(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const pair of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2];
    const value = Number(m[4]);
    if (Number.isFinite(value)) samples.push({ name: m[1], labels, value });
  }
  return samples;
}

// The samples of `name` added up per value of `label` (all in one when no label): [[key, sum]].
export function sumBy(samples, name, label) {
  const sums = new Map();
  for (const s of samples) {
    if (s.name !== name) continue;
    const key = label ? (s.labels[label] ?? '') : name;
    sums.set(key, (sums.get(key) ?? 0) + s.value);
  }
  return [...sums.entries()].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
}

function svg(tag, attributes) {
  const node = document.createElementNS(svgNs, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

// A titled bar chart of [label, value] pairs; the figures also as text, for screen readers.
export function barChart(title, pairs) {
  const figure = element('figure', 'chart');
  figure.append(element('figcaption', '', title));
  if (!pairs.length) {
    figure.append(element('p', 'hint', '—'));
    return figure;
  }
  const rowHeight = 22;
  const width = 320;
  const labelWidth = 110;
  const max = Math.max(1, ...pairs.map(([, v]) => v));
  const chart = svg('svg', { viewBox: `0 0 ${width} ${pairs.length * rowHeight}`, role: 'img', class: 'bars' });
  const summary = svg('title', {});
  summary.textContent = `${title}: ${pairs.map(([k, v]) => `${k} ${v}`).join(', ')}`;
  chart.append(summary);
  pairs.forEach(([label, value], i) => {
    const y = i * rowHeight;
    const name = svg('text', { x: 0, y: y + 15, class: 'bar-label' });
    name.textContent = String(label);
    const barWidth = Math.max(1, ((width - labelWidth - 60) * value) / max);
    const bar = svg('rect', { x: labelWidth, y: y + 4, width: barWidth, height: rowHeight - 8, class: 'bar' });
    const figureText = svg('text', { x: labelWidth + barWidth + 4, y: y + 15, class: 'bar-value' });
    figureText.textContent = String(Math.round(value * 100) / 100);
    chart.append(name, bar, figureText);
  });
  figure.append(chart);
  return figure;
}
