// `collect --probe` and `audit-evidence probe` as a user runs them (the built binary), on the live
// test servers: a PostgreSQL + pgaudit whose pgaudit.log lacks 'role', and a MariaDB with
// server_audit. The bundle's predicate.probes, its completeness findings, its page and verify.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { postgresAvailability, startPostgres, type PgServer } from '../helpers/servers/postgres.js';
import { mariadbAvailability, startMariaDB, type MariaServer } from '../helpers/servers/mariadb.js';
import { shouldRun } from '../helpers/servers/availability.js';
import { runCli } from '../helpers/cli.js';
import { openBundle } from '../../src/bundle/zip-reader.js';
import { privilegeAdvice } from '../../src/live/postgres/index.js';

const env = { AE_E2E_READER_PW: 'E2e-reader-pw', AE_E2E_PROBE_PW: 'E2e-probe-pw', AUDIT_EVIDENCE_PROGRESS: 'never' };

describe.runIf(shouldRun(postgresAvailability()) && shouldRun(mariadbAvailability()))(
  'collect --probe on the live test servers',
  () => {
    let pg: PgServer;
    let maria: MariaServer;
    let dir: string;
    let cfg: string;
    beforeAll(async () => {
      [pg, maria] = await Promise.all([
        startPostgres({ conf: ["pgaudit.log = 'ddl,write,misc_set,read'"] }),
        startMariaDB(),
      ]);
      await pg.sql('CREATE EXTENSION pgaudit');
      await pg.sql(`CREATE ROLE auditreader LOGIN PASSWORD '${env.AE_E2E_READER_PW}'`);
      await pg.sql(privilegeAdvice('auditreader'));
      await pg.sql(`CREATE ROLE ae_prober LOGIN CREATEROLE PASSWORD '${env.AE_E2E_PROBE_PW}'`);
      await maria.sql([
        `CREATE USER auditreader@'127.0.0.1' IDENTIFIED BY '${env.AE_E2E_READER_PW}'`,
        `GRANT PROCESS ON *.* TO auditreader@'127.0.0.1'`,
        `GRANT SELECT ON mysql.* TO auditreader@'127.0.0.1'`,
        `CREATE USER ae_prober@'127.0.0.1' IDENTIFIED BY '${env.AE_E2E_PROBE_PW}'`,
        `GRANT CREATE USER, SELECT ON *.* TO ae_prober@'127.0.0.1' WITH GRANT OPTION`,
      ]);
      dir = mkdtempSync(join(tmpdir(), 'ae-probe-e2e-'));
      cfg = join(dir, 'audit-evidence.yaml');
      writeFileSync(
        cfg,
        `sources:
  - name: pg-live
    type: postgres
    host: 127.0.0.1
    port: ${pg.port}
    user: auditreader
    database: postgres
    password_env: AE_E2E_READER_PW
    probe: { user: ae_prober, password_env: AE_E2E_PROBE_PW, wait: 5 }
  - name: maria-live
    type: mysql
    host: 127.0.0.1
    port: ${maria.port}
    user: auditreader
    password_env: AE_E2E_READER_PW
    probe: { user: ae_prober, password_env: AE_E2E_PROBE_PW, wait: 5 }
`,
      );
    }, 120_000);
    afterAll(async () => {
      await Promise.all([pg?.stop(), maria?.stop()]);
    });

    test('the bundle records each probe, check fails on the unlogged permission change, the page shows it, verify accepts it', async () => {
      const zip = join(dir, 'probe.zip');
      const since = new Date(Date.now() - 3600_000).toISOString();
      const until = new Date(Date.now() - 1000).toISOString(); // a period that has ended (the probe's own actions come after it)
      const r = await runCli(
        ['collect', '--since', since, '--until', until, '--config', cfg, '--out', zip, '--probe'],
        { env },
      );
      console.log(
        r.stderr
          .split('\n')
          .filter((l) => l.includes('probe:'))
          .join('\n'),
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(
        /probe: pg-live permission_change +create role, grant, revoke: NOT FOUND not found after \d+ s; likely: pgaudit\.log lacks 'role'/,
      );
      expect(r.stderr).toMatch(/probe: pg-live change_execution +temporary table: FOUND after/);
      expect(r.stderr).toMatch(/probe: maria-live permission_change +create user, grant usage, drop user: FOUND after/);
      expect(r.stderr).toMatch(/completeness \(soc2\): FAIL/);
      expect(r.stderr).not.toMatch(/probe: \S+ note: /); // nothing failed along the way
      expect(JSON.stringify(r)).not.toContain(env.AE_E2E_PROBE_PW);

      const b = await openBundle(zip);
      try {
        const st = JSON.parse((await b.read('manifest.intoto.json')).toString());
        const probes = st.predicate.probes as Array<{
          source: string;
          results: Array<{ category: string; status: string }>;
        }>;
        expect(probes.map((p) => p.source)).toEqual(['pg-live', 'maria-live']);
        const status = (s: string, c: string) =>
          probes
            .find((p) => p.source === s)!
            .results.filter((x) => x.category === c)
            .map((x) => x.status);
        expect(status('pg-live', 'permission_change')).toEqual(['not_found']);
        expect(status('pg-live', 'authentication')).toEqual(['found', 'found']);
        expect(status('maria-live', 'policy_change')).toEqual(['not_probed']);
        expect(st.predicate.completeness.failed_because.join(' ')).toMatch(/probe\.not-found/);
        const report = JSON.parse((await b.read('report/completeness.json')).toString()).report;
        expect(
          report.findings.some(
            (f: { rule: string; message: string }) =>
              f.rule === 'probe.not-found' && /pgaudit\.log lacks 'role'/.test(f.message),
          ),
        ).toBe(true);
        expect(report.findings.some((f: { rule: string }) => f.rule === 'probe.found')).toBe(true);
        const html = (await b.read('report/summary.html')).toString();
        expect(html).toContain('<h2 id="probes">Logging probe');
        expect(html).toMatch(
          /<b class="badge bad">NOT FOUND<\/b> not found after \d+ s; likely: pgaudit\.log lacks (&#39;|')role(&#39;|')/,
        );
        expect(html).toContain('<b class="badge ok">PROVEN</b>');
        const at = html.indexOf('<h2 id="probes">');
        const section = html.slice(at, html.indexOf('</section>', at));
        console.log(
          section
            .replace(/<[^>]+>/g, ' ')
            .replace(/\s+/g, ' ')
            .slice(0, 3000),
        );
      } finally {
        b.close();
      }

      const v = await runCli(['verify', zip], { env });
      expect(v.stdout + v.stderr).toMatch(/VALID/);
    }, 180_000);

    test('audit-evidence probe exits 1 when an action is not found, and 2 without a probe section', async () => {
      const r = await runCli(['probe', '--config', cfg, '--wait', '3'], { env });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toMatch(/pg-live permission_change +create role, grant, revoke: NOT FOUND/);
      expect(r.stdout).toMatch(/maria-live authentication +login: FOUND/);
      const plain = join(dir, 'plain.yaml');
      writeFileSync(
        plain,
        `sources:\n  - name: pg-live\n    type: postgres\n    host: 127.0.0.1\n    port: ${pg.port}\n    user: auditreader\n`,
      );
      const n = await runCli(['probe', '--config', plain], { env });
      expect(n.code).toBe(2);
      expect(n.stderr).toMatch(/opt-in/);
    }, 120_000);
  },
);
