/**
 * The perf-test report as text (the terminal), and as HTML with an SVG latency chart (p95 per
 * second of each run against the threshold), saved under `<dataDir>/perf/` with the JSON.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PerfReport } from './run-perf-test.js';

export function formatPerfText(r: PerfReport): string {
  const rows = r.runs.map((x) => `  ${(x.pass ? 'PASS' : 'FAIL').padEnd(5)}${x.target.padEnd(28)}${(x.phase ?? '').padEnd(12)}${String(x.connections).padStart(5)} users ${String(Math.round(x.reqPerSec)).padStart(7)} req/s  p50 ${x.p50Ms} ms  p95 ${x.p95Ms} ms  p99 ${x.p99Ms} ms  errors ${(100 * x.errorRate).toFixed(2)} %`);
  const extra = r.breakingPointUsers !== undefined ? `breaking point: ${r.breakingPointUsers === null ? 'not reached' : `${r.breakingPointUsers} users`}\n` : r.recoverySeconds !== undefined ? `recovery after the spike: ${r.recoverySeconds === null ? 'not within the run' : `${r.recoverySeconds} s`}\n` : '';
  return `perf-test ${r.type} (${r.startedAt}), thresholds p95 < ${r.thresholds.p95Ms} ms, errors < ${100 * r.thresholds.errorRate} %\n${rows.join('\n')}\n${extra}${r.pass ? 'PASS' : 'FAIL'}\n`;
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

function chart(r: PerfReport): string {
  const w = 720;
  const h = 240;
  const series = r.runs.map((x) => ({ name: `${x.target}${x.phase ? ` (${x.phase})` : ''}`, points: x.perSecondP95Ms }));
  const maxX = Math.max(1, ...series.map((s) => s.points.length - 1));
  const maxY = Math.max(r.thresholds.p95Ms * 1.2, ...series.flatMap((s) => s.points));
  const x = (i: number) => 40 + (i / maxX) * (w - 60);
  const y = (v: number) => h - 30 - (v / maxY) * (h - 50);
  const colors = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
  const lines = series.map((s, i) => `<polyline fill="none" stroke="${colors[i % colors.length]}" stroke-width="2" points="${s.points.map((v, j) => `${x(j).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"><title>${esc(s.name)}</title></polyline>`);
  const legend = series.map((s, i) => `<text x="${w - 250}" y="${20 + i * 14}" font-size="11" fill="${colors[i % colors.length]}">${esc(s.name)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" role="img" aria-label="p95 latency per second">
<line x1="40" y1="${y(r.thresholds.p95Ms)}" x2="${w - 20}" y2="${y(r.thresholds.p95Ms)}" stroke="#999" stroke-dasharray="4"/><text x="44" y="${y(r.thresholds.p95Ms) - 4}" font-size="11">p95 threshold ${r.thresholds.p95Ms} ms</text>
<line x1="40" y1="${h - 30}" x2="${w - 20}" y2="${h - 30}" stroke="#333"/><text x="40" y="${h - 10}" font-size="11">seconds →</text><text x="2" y="14" font-size="11">ms (max ${Math.round(maxY)})</text>
${lines.join('\n')}
${legend.join('\n')}
</svg>`;
}

export function formatPerfHtml(r: PerfReport): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>bbws perf-test ${esc(r.type)} ${esc(r.startedAt)}</title></head><body>
<h1>bbws perf-test: ${esc(r.type)} — ${r.pass ? 'PASS' : 'FAIL'}</h1>
${chart(r)}
<pre>${esc(formatPerfText(r))}</pre>
</body></html>\n`;
}

/** Writes `<dataDir>/perf/<time>-<type>.{json,txt,html}`; returns their paths. */
export function savePerfReport(dataDir: string, r: PerfReport): string[] {
  const dir = join(dataDir, 'perf');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const base = join(dir, `${r.startedAt.replaceAll(':', '').replace(/\.\d+Z$/, 'Z')}-${r.type}`);
  const files = [`${base}.json`, `${base}.txt`, `${base}.html`];
  writeFileSync(files[0], `${JSON.stringify(r, null, 2)}\n`, { mode: 0o600 });
  writeFileSync(files[1], formatPerfText(r), { mode: 0o600 });
  writeFileSync(files[2], formatPerfHtml(r), { mode: 0o600 });
  return files;
}
