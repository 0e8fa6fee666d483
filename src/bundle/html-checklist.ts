// The "Auditor's checklist" section of report/summary.html: the eight lines of the SOC 2
// administrator-activity checklist, each MET / NOT MET / UNKNOWN with its evidence or reason
// (src/checks/checklist.ts). Self-contained, so the page's layout can change around it.
import type { ChecklistLine } from '../checks/checklist.js';

const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const BADGE: Record<ChecklistLine['status'], string> = {
  met: '<b class="badge ok">MET</b>',
  'not met': '<b class="badge bad">NOT MET</b>',
  unknown: '<b class="badge warn">UNKNOWN</b>',
};

export function checklistSection(lines: ChecklistLine[] | undefined): string[] {
  if (!lines || lines.length === 0) return [];
  const count = (st: ChecklistLine['status']) => lines.filter((l) => l.status === st).length;
  return [
    '<section aria-labelledby="checklist-h">',
    '<h2 id="checklist-h" class="keep">Auditor\'s checklist</h2>',
    `<p>The SOC 2 administrator-activity checklist, answered from this bundle: ${count('met')} met, ${count('not met')} not met, ${count('unknown')} unknown. Met only with the evidence shown; <code>audit-evidence check BUNDLE.zip --json</code> gives the same lines.</p>`,
    '<table class="checklist"><thead><tr><th scope="col">#</th><th scope="col">Checklist line</th><th scope="col">Status</th><th scope="col">Evidence or reason</th></tr></thead><tbody>',
    ...lines.map(
      (l) =>
        `<tr data-check="${esc(l.id)}" data-status="${esc(l.status)}"><td>${l.n}</td><td>${esc(l.text)}</td><td>${BADGE[l.status]}</td><td>${l.evidence.length > 1 ? `<ul>${l.evidence.map((e) => `<li>${esc(e)}</li>`).join('')}</ul>` : esc(l.evidence[0] ?? '')}</td></tr>`,
    ),
    '</tbody></table>',
    '</section>',
  ];
}
