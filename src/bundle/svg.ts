// Inline SVG pictures for report/summary.html, drawn when the bundle is built: plain markup, no
// scripts, no fonts or images from elsewhere, so the page stays one self-contained signed file.
// Colour never carries meaning alone: every bar has its number written beside it and every mark
// has a word (a day with no events says "none").
import { escapeHtml } from './escape.js';

export interface DayChartRow {
  /** Row label (a source name, or "All sources"). */
  label: string;
  /** Day label ('YYYY-MM-DD') → events; days absent from the map are zero days. */
  counts: Record<string, number>;
  /** Day label → a short note under that day's bar (e.g. "4 h silent"). */
  notes?: Record<string, string>;
  /** The totals row: drawn darker and first. */
  total?: boolean;
  /** A word under the label when the source was not read completely (e.g. "FAILED"): its zeros mean "not read", not "nothing happened". */
  flag?: string;
}

export interface DayChart {
  /** Every calendar day of the period, in order (zero days included). */
  days: string[];
  rows: DayChartRow[];
  /** A unique prefix for the ids inside the SVG. */
  id: string;
  title: string;
  description: string;
}

/** Layout of the day chart, exported for the unit tests. */
export const DAY_CHART = {
  labelW: 150,
  totalW: 64,
  headerH: 32,
  rowH: 37,
  barMax: 18,
  maxPlotW: 780,
  minColW: 2,
  maxColW: 84,
} as const;

const WEEKDAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** The height of a bar for `n` events in a row whose busiest day has `max` (at least 2 px when n > 0). */
export function barHeight(n: number, max: number, barMax: number = DAY_CHART.barMax): number {
  if (n <= 0 || max <= 0) return 0;
  return Math.max(2, Math.round((n / max) * barMax));
}

function shorten(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

function fmt(n: number): string {
  return n >= 10000 ? `${Math.round(n / 1000)}k` : String(n);
}

/** Which day columns get a label, and the label's two lines. */
function dayLabels(days: string[], colW: number): Array<[string, string] | null> {
  return days.map((day, i) => {
    const d = new Date(`${day}T00:00:00Z`);
    const wd = WEEKDAY[d.getUTCDay()];
    if (days.length <= 14) return [wd, day.slice(5)];
    if (colW >= 18) return [wd.slice(0, 2), day.slice(8)];
    const every = Math.ceil(22 / colW);
    if (days.length <= 62) return i % every === 0 ? [day.slice(5), ''] : null;
    return day.endsWith('-01') || i === 0 ? [day.slice(0, 7), ''] : null;
  });
}

/**
 * Events per day as small multiples: one row per source (its own scale, the count written above
 * every bar), a first row with all sources together. Every day of the period has a column: a day
 * without events shows a hollow marker and "0", and a day with no events from any source is hatched
 * from top to bottom and labelled "none".
 */
export function dayChartSvg(c: DayChart): string {
  const L = DAY_CHART;
  const n = Math.max(1, c.days.length);
  const colW = Math.max(L.minColW, Math.min(L.maxColW, Math.floor(L.maxPlotW / n)));
  const plotW = colW * n;
  const width = L.labelW + plotW + L.totalW;
  const height = L.headerH + L.rowH * c.rows.length + 6;
  const totals = new Map<string, number>();
  for (const r of c.rows)
    if (!r.total) for (const [d, v] of Object.entries(r.counts)) totals.set(d, (totals.get(d) ?? 0) + v);
  const allZero = new Set(c.days.filter((d) => (totals.get(d) ?? 0) === 0));
  const out: string[] = [];
  const tid = `${c.id}-t`;
  const did = `${c.id}-d`;
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${tid} ${did}">`,
    `<title id="${tid}">${escapeHtml(c.title)}</title>`,
    `<desc id="${did}">${escapeHtml(c.description)}</desc>`,
  );
  const labels = dayLabels(c.days, colW);
  const x0 = L.labelW;
  // Header: day labels, and a hatched band down the whole chart for days with no events at all.
  c.days.forEach((day, i) => {
    const x = x0 + i * colW;
    const cx = x + colW / 2;
    if (allZero.has(day)) {
      out.push(hatch(day, x + 1, L.headerH - 2, Math.max(1, colW - 2), L.rowH * c.rows.length + 4));
    }
    const lab = labels[i];
    if (lab) {
      out.push(`<text class="day" x="${cx}" y="13" text-anchor="middle">${escapeHtml(lab[0])}</text>`);
      if (lab[1]) out.push(`<text class="date" x="${cx}" y="27" text-anchor="middle">${escapeHtml(lab[1])}</text>`);
    }
  });
  out.push(`<text class="day" x="${x0 + plotW + L.totalW - 4}" y="27" text-anchor="end">total</text>`);
  c.rows.forEach((r, ri) => {
    const y = L.headerH + ri * L.rowH;
    const base = y + 15 + L.barMax;
    const max = Math.max(0, ...c.days.map((d) => r.counts[d] ?? 0));
    const sum = Object.values(r.counts).reduce((a, b) => a + b, 0);
    out.push(`<g class="row${r.total ? ' total' : ''}" data-row="${escapeHtml(r.label)}">`);
    out.push(`<title>${escapeHtml(r.label)}</title>`);
    if (r.flag) {
      out.push(
        `<text class="label" x="0" y="${base - 13}">${escapeHtml(shorten(r.label, 22))}</text>`,
        `<text class="flag" x="0" y="${base - 1}">${escapeHtml(r.flag)}</text>`,
      );
    } else out.push(`<text class="label" x="0" y="${base - 6}">${escapeHtml(shorten(r.label, 22))}</text>`);
    out.push(`<line class="base" x1="${x0}" x2="${x0 + plotW}" y1="${base + 0.5}" y2="${base + 0.5}"/>`);
    c.days.forEach((day, i) => {
      dayBar(out, r, day, x0 + i * colW, colW, base, max);
    });
    out.push(`<text class="sum" x="${x0 + plotW + L.totalW - 4}" y="${base - 6}" text-anchor="end">${sum}</text>`);
    out.push('</g>');
  });
  out.push('</svg>');
  return out.join('');
}

/** One day's bar of a row: its height and count, or a hollow marker and 0 (none) for a day without events. */
function dayBar(
  out: string[],
  r: DayChart['rows'][number],
  day: string,
  x: number,
  colW: number,
  base: number,
  max: number,
): void {
  const v = r.counts[day] ?? 0;
  const cx = x + colW / 2;
  const bw = Math.max(1, Math.min(colW - 4, 40));
  const note = r.notes?.[day];
  out.push(`<g class="day-bar" data-day="${day}" data-count="${v}">`);
  if (v > 0) {
    const h = barHeight(v, max);
    out.push(
      `<rect class="bar" x="${cx - bw / 2}" y="${base - h}" width="${bw}" height="${h}"><title>${escapeHtml(`${r.label}, ${day}: ${v} events`)}</title></rect>`,
    );
    if (colW >= 16) out.push(`<text class="count" x="${cx}" y="${base - h - 3}" text-anchor="middle">${fmt(v)}</text>`);
  } else {
    // A zero day is drawn, never left out: a hollow marker on the baseline and the figure 0
    // (or "none" in the all-sources row, where the whole column is hatched).
    out.push(
      `<rect class="zero" x="${cx - bw / 2}" y="${base - 3}" width="${bw}" height="3"><title>${escapeHtml(`${r.label}, ${day}: no events`)}</title></rect>`,
    );
    if (colW >= 16)
      out.push(
        `<text class="count zero-label" x="${cx}" y="${base - 7}" text-anchor="middle">${r.total && colW >= 30 ? 'none' : '0'}</text>`,
      );
  }
  if (note && colW >= 30)
    out.push(`<text class="note" x="${cx}" y="${base + 3}" dy="0.8em" text-anchor="middle">${escapeHtml(note)}</text>`);
  out.push('</g>');
}

/**
 * A hatched band (a light rectangle crossed by diagonal lines) drawn with plain lines rather than an
 * SVG pattern, so the page holds no url() reference of any kind.
 */
function hatch(day: string, x: number, y: number, w: number, h: number): string {
  const lines: string[] = [];
  for (let k = 6; k < w + h; k += 7) {
    const x1 = x + Math.max(0, k - h);
    const y1 = y + Math.min(k, h);
    const x2 = x + Math.min(k, w);
    const y2 = y + Math.max(0, k - w);
    lines.push(`M${x1.toFixed(1)} ${y1.toFixed(1)}L${x2.toFixed(1)} ${y2.toFixed(1)}`);
  }
  return `<g class="none-band" data-day="${day}"><rect x="${x}" y="${y}" width="${w}" height="${h}"/><path d="${lines.join('')}"/></g>`;
}

/** Runs of consecutive zero hours: [first index, last index] (inclusive). */
export function zeroRuns(counts: number[]): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  let start = -1;
  counts.forEach((v, i) => {
    if (v === 0 && start < 0) start = i;
    if (v !== 0 && start >= 0) {
      runs.push([start, i - 1]);
      start = -1;
    }
  });
  if (start >= 0) runs.push([start, counts.length - 1]);
  return runs;
}

/** A source is "usually busy" when it has events in at least this share of the period's hours. */
export const BUSY_SHARE = 0.75;

/**
 * Hours with no events in a source that usually has events every hour: null when the source is not
 * busy (quiet sources are silent most hours, which says nothing), else the runs of silent hours.
 */
export function silentHours(counts: number[]): { busyHours: number; runs: Array<[number, number]> } | null {
  if (counts.length < 24) return null;
  const busyHours = counts.filter((v) => v > 0).length;
  if (busyHours < BUSY_SHARE * counts.length || busyHours === counts.length) return null;
  return { busyHours, runs: zeroRuns(counts) };
}
