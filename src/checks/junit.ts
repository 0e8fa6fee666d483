// Writes the JUnit XML file of a check run: one <testsuite> per rule, one <testcase> per finding
// (a <failure> when the rule fails the gate), one passing <testcase> for a rule with no findings,
// and a "gate" suite for --min-complete and --require-categories. Per-row findings are spooled to
// a temporary file per rule while the run streams, so memory stays flat however many rows fail;
// the XML is assembled at the end, when the counts in the suite attributes are known.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TextWriter } from '../export/writer.js';
import { splitLines } from '../pipeline/lines.js';
import { RULES } from './rules/index.js';
import {
  JUNIT_FOOTER,
  JUNIT_SUITE_CLOSE,
  junitCase,
  junitGateSuite,
  junitHeader,
  junitPassCase,
  junitSuiteOpen,
  ruleGates,
} from './report.js';
import type { CompletenessReport, Finding } from './types.js';

export class JUnitSpool {
  private readonly writers = new Map<string, TextWriter>();
  private readonly rows: Record<string, number> = {};
  private readonly rowsNotInfo: Record<string, number> = {};
  private constructor(private readonly dir: string) {}

  static async create(): Promise<JUnitSpool> {
    return new JUnitSpool(await mkdtemp(join(tmpdir(), 'audit-evidence-junit-')));
  }

  async add(f: Finding): Promise<void> {
    let w = this.writers.get(f.rule);
    if (!w) {
      w = new TextWriter(createWriteStream(this.file(f.rule)));
      this.writers.set(f.rule, w);
    }
    this.rows[f.rule] = (this.rows[f.rule] ?? 0) + 1;
    if (f.severity !== 'info') this.rowsNotInfo[f.rule] = (this.rowsNotInfo[f.rule] ?? 0) + 1;
    await w.write(`${JSON.stringify(f)}\n`);
  }

  /** Writes the XML to `path` and removes the spool. */
  async write(path: string, report: CompletenessReport): Promise<void> {
    for (const w of this.writers.values()) await w.end();
    const summaries = report.findings.filter((f) => !f.location);
    const plan = RULES.map((rule) => {
      const sum = summaries.filter((f) => f.rule === rule.id);
      const gates = ruleGates(report, rule.id);
      const n = (this.rows[rule.id] ?? 0) + sum.length;
      const failures = gates ? (this.rowsNotInfo[rule.id] ?? 0) + sum.filter((f) => f.severity !== 'info').length : 0;
      return { rule, sum, gates, tests: Math.max(1, n), failures, n };
    });
    const gate = junitGateSuite(report);
    const gateTests = (gate.match(/<testcase /g) ?? []).length;
    const gateFailures = (gate.match(/<failure /g) ?? []).length;
    const out = new TextWriter(createWriteStream(path));
    try {
      await out.write(
        junitHeader(
          plan.reduce((a, p) => a + p.tests, gateTests),
          plan.reduce((a, p) => a + p.failures, gateFailures),
        ),
      );
      await out.write(gate);
      for (const p of plan) {
        await out.write(junitSuiteOpen(p.rule.id, p.tests, p.failures));
        if (p.n === 0) await out.write(junitPassCase(p.rule.id, `${p.rule.title}: no findings`));
        for (const f of p.sum) await out.write(junitCase(f, p.gates));
        if (this.rows[p.rule.id]) {
          for await (const line of splitLines(createReadStream(this.file(p.rule.id)))) {
            if (line.text) await out.write(junitCase(JSON.parse(line.text) as Finding, p.gates));
          }
        }
        await out.write(JUNIT_SUITE_CLOSE);
      }
      await out.write(JUNIT_FOOTER);
    } finally {
      await out.end();
      await this.discard();
    }
  }

  async discard(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  private file(rule: string): string {
    return join(this.dir, `${rule}.jsonl`);
  }
}
