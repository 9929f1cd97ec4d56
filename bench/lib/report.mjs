// The one table, the target lines under it, and the JSON of both.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const fmt = (value, digits = 0) =>
  value === null || value === undefined || Number.isNaN(value)
    ? '–'
    : Number(value).toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });

const rateDigits = (value) => (value !== null && value < 100 ? 1 : 0);

export function renderTable(rows) {
  const header = ['scenario', 'service', 'floor', 'ratio', 'p50 ms', 'p99 ms', 'floor p50', 'errors', 'peak RSS MB'];
  const body = rows.map((r) => {
    if (r.scenario === 'memory') return ['memory', '', '', '', '', '', '', '', fmt(r.peakRssMb, 1)];
    if (r.failed) return [r.scenario, 'FAILED', '', '', '', '', '', String(r.errors), ''];
    const unit = r.unit === 'events/s' ? 'ev/s' : 'req/s';
    return [
      r.scenario,
      `${fmt(r.service.rate, rateDigits(r.service.rate))} ${unit}`,
      `${fmt(r.floor.rate, rateDigits(r.floor.rate))} ${unit}`,
      fmt(r.ratio, 2),
      fmt(r.p50, r.p50 !== null && r.p50 < 10 ? 1 : 0),
      fmt(r.p99, r.p99 !== null && r.p99 < 10 ? 1 : 0),
      fmt(r.floorP50, r.floorP50 !== null && r.floorP50 < 10 ? 1 : 0),
      r.errors === 0 ? '0' : `${r.errors} (svc ${r.service.errors}, floor ${r.floor.errors})`,
      fmt(r.peakRssMb, 1),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function renderTargets(targets) {
  const width = Math.max(...targets.map((t) => t.scenario.length));
  return targets.map((t) => `${t.ok ? 'PASS' : 'FAIL'}  ${t.scenario.padEnd(width)}  ${t.description}: ${t.detail}`).join('\n');
}

export function renderErrors(rows) {
  const lines = [];
  for (const r of rows) {
    if (r.failed) lines.push(`${r.scenario}: ${r.failed}`);
    for (const side of ['service', 'floor']) {
      const result = r[side];
      if (!result || result.errors === 0) continue;
      lines.push(`${r.scenario} (${side}): ${result.errors} errors; status codes ${JSON.stringify(result.statusCodes ?? {})}`);
      for (const sample of result.samples ?? []) lines.push(`    ${sample}`);
    }
  }
  return lines.join('\n');
}

// bench/results/<ISO timestamp>.json (colons made dashes: a valid file name everywhere) and latest.json.
export function writeResults(dir, report) {
  mkdirSync(dir, { recursive: true });
  const stamp = report.startedAt.replace(/:/g, '-');
  const file = path.join(dir, `${stamp}.json`);
  const text = `${JSON.stringify(report, null, 2)}\n`;
  writeFileSync(file, text);
  writeFileSync(path.join(dir, 'latest.json'), text);
  return file;
}
