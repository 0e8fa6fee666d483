// The docs follow the code (issue 18): every option a command's --help shows is in the docs, every
// key the configuration schema accepts is in docs/configuration.md, every docs/ page is linked from
// the README and every relative link of README.md and docs/*.md resolves to a file and heading, the
// README's two first commands are the ones .ci/run and the demo test run, and the auditor's manual
// gives the commands VERIFY.md gives.
// The options are read from the built CLI (`npm test` builds first), as a user sees them.
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { EPOCH, readAll, tempDir } from '../bundle/helpers.js';
import { runCli } from '../helpers/cli.js';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const DOCS = readdirSync(join(ROOT, 'docs'))
  .filter((f) => f.endsWith('.md'))
  .map((f) => `docs/${f}`);
const PAGES = ['README.md', ...DOCS];

/** The text of a Markdown file without its fenced code blocks (replaced by empty lines). */
function prose(md: string): string {
  let fence = false;
  return md
    .split('\n')
    .map((l) => {
      if (l.startsWith('```')) {
        fence = !fence;
        return '';
      }
      return fence ? '' : l;
    })
    .join('\n');
}

/** The body of a section: from its heading line to the next heading of the same or a higher level. */
function section(md: string, heading: string): string {
  const lines = md.split('\n');
  const start = lines.findIndex((l) => l === heading);
  expect(start, `heading "${heading}"`).toBeGreaterThanOrEqual(0);
  const level = heading.indexOf(' ');
  let end = lines.length;
  let fence = false;
  for (let i = start + 1; i < lines.length; i++) {
    if (lines[i].startsWith('```')) fence = !fence;
    const m = !fence && /^(#+) /.exec(lines[i]);
    if (m && m[1].length <= level) {
      end = i;
      break;
    }
  }
  return lines.slice(start, end).join('\n');
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes (github-slugger). */
function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

function anchors(md: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fence = false;
  for (const l of md.split('\n')) {
    if (l.startsWith('```')) fence = !fence;
    const m = !fence && /^#{1,6} (.*)$/.exec(l);
    if (!m) continue;
    const base = slug(m[1].trim());
    const n = seen.get(base) ?? 0;
    out.add(n ? `${base}-${n}` : base);
    seen.set(base, n + 1);
  }
  return out;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** `key` appears in `text` as a word of its own (an option, or a dotted key path whole). */
const names = (text: string, key: string) => new RegExp(`(?<![\\w.-])${esc(key)}(?![\\w-])`).test(text);

// ---- every --help option ---------------------------------------------------------------------

interface HelpOption {
  short: string | null;
  long: string;
}

/** The options block of a --help text: `  -f, --format <format>  ...` lines (continuations are deeper). */
function helpOptions(help: string): HelpOption[] {
  const block = help.split('\nOptions:\n')[1]?.split(/\n\n|\n[A-Z][\w ]*:\n/)[0] ?? '';
  const out: HelpOption[] = [];
  for (const l of block.split('\n')) {
    const m = /^ {2}(?:(-[A-Za-z]), )?(--[a-z][\w-]*)/.exec(l);
    if (m) out.push({ short: m[1] ?? null, long: m[2] });
  }
  return out;
}

async function commands(): Promise<string[]> {
  const r = await runCli(['--help']);
  expect(r.code).toBe(0);
  const block = r.stdout.split('\nCommands:\n')[1] ?? '';
  return [...block.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]).filter((c) => c !== 'help');
}

/** The synopsis block of docs/commands.md, one entry per command (`audit-evidence <cmd> ...`). */
function synopses(): Map<string, string> {
  const body = section(read('docs/commands.md'), '## Synopsis');
  const block = /```text\n([\s\S]*?)```/.exec(body);
  expect(block, 'the ```text block of ## Synopsis in docs/commands.md').not.toBeNull();
  const out = new Map<string, string>();
  for (const entry of block![1].split(/\n(?=audit-evidence )/)) {
    const m = /^audit-evidence ([a-z][\w-]*)/.exec(entry);
    if (m) out.set(m[1], entry);
  }
  return out;
}

describe('every option of every command is in the docs', async () => {
  const cmds = await commands();
  const helps = new Map<string, HelpOption[]>();
  for (const c of cmds) {
    const r = await runCli([c, '--help']);
    expect(r.code, `${c} --help`).toBe(0);
    helps.set(
      c,
      helpOptions(r.stdout).filter((o) => o.long !== '--help'),
    );
  }
  const syn = synopses();
  const allProse = PAGES.map((p) => prose(read(p))).join('\n');

  test('the CLI has the commands the README table lists, one row each', () => {
    expect(cmds.length).toBeGreaterThan(5);
    const table = section(read('README.md'), '## Commands');
    const rows = [...table.matchAll(/^\| `([a-z][\w-]*)[ `]/gm)].map((m) => m[1]);
    expect(rows.sort()).toEqual([...cmds].sort());
  });

  test.each(cmds)('%s: the synopsis in docs/commands.md names every --help option, and no other', (c) => {
    const entry = syn.get(c);
    expect(entry, `docs/commands.md synopsis of ${c}`).toBeDefined();
    const opts = helps.get(c)!;
    expect(opts.length, `options parsed from ${c} --help`).toBeGreaterThan(0);
    for (const o of opts) {
      expect(entry, `${c} ${o.long}`).toMatch(new RegExp(`${esc(o.long)}(?![\\w-])`));
      if (o.short) expect(entry, `${c} ${o.short}`).toMatch(new RegExp(`${esc(o.short)}\\|${esc(o.long)}(?![\\w-])`));
    }
    const known = new Set(opts.map((o) => o.long));
    for (const m of entry!.matchAll(/(?<![\w-])--[a-z][\w-]*/g))
      expect(known.has(m[0]), `${m[0]} in the synopsis of ${c} is not an option of ${c}`).toBe(true);
  });

  test.each(cmds)('%s: every option is described in prose (README.md or docs/*.md)', (c) => {
    for (const o of helps.get(c)!)
      expect(names(allProse, o.long), `${c} ${o.long} is described nowhere in README.md or docs/*.md`).toBe(true);
  });
});

// ---- every configuration key ------------------------------------------------------------------

type Schema = {
  $ref?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  oneOf?: Schema[];
  const?: unknown;
  description?: string;
  $defs?: Record<string, Schema>;
};
const CONFIG: Schema = JSON.parse(read('schemas/config.schema.json'));
const deref = (s: Schema): Schema => (s.$ref ? CONFIG.$defs![s.$ref.split('/').pop()!] : s);

/** Key paths of a schema object: nested objects as `a.b`, properties of list items by their own name. */
function keyPaths(s: Schema, prefix = '', stop: (k: string) => boolean = () => false): string[] {
  const out: string[] = [];
  for (const [k, v0] of Object.entries(deref(s).properties ?? {})) {
    const path = prefix ? `${prefix}.${k}` : k;
    out.push(path);
    if (stop(k)) continue;
    const v = deref(v0);
    if (v.properties) out.push(...keyPaths(v, path, stop));
    const items = v.items ? deref(v.items) : null;
    for (const alt of items ? (items.oneOf ?? [items]).map(deref) : [])
      if (alt.properties) out.push(...keyPaths(alt, '', stop));
  }
  return out;
}

describe('every configuration key is in docs/configuration.md', () => {
  const page = read('docs/configuration.md');
  const sourceDefs = (deref(CONFIG.properties!.sources).items!.oneOf ?? []).map(deref);

  test('the top-level keys, in "## Top level"', () => {
    const top = section(page, '## Top level');
    const keys = keyPaths(CONFIG, '', (k) => k === 'sources');
    expect(keys.length).toBeGreaterThan(20);
    for (const k of keys) expect(names(top, k), k).toBe(true);
  });

  test('every source type has a section, and names every key of its type', () => {
    expect(sourceDefs.length).toBeGreaterThan(5);
    const common = Object.keys(sourceDefs[0].properties!).filter((k) =>
      sourceDefs.every((d) => k in (d.properties ?? {})),
    );
    const lead = section(page, '## Sources').split('\n### ')[0];
    for (const k of common) expect(names(lead, k), `${k} (every source) in "## Sources"`).toBe(true);
    for (const d of sourceDefs) {
      const type = String(d.properties!.type.const);
      const body = section(page, `### \`type: ${type}\``);
      for (const k of keyPaths(d, '', (x) => x === 'probe').filter((x) => !common.includes(x)))
        expect(names(body, k), `${type}: ${k}`).toBe(true);
    }
  });

  test('every key of a probe section, in "## Probe sections"', () => {
    const body = section(page, '## Probe sections');
    const probes = sourceDefs.flatMap((d) => (d.properties!.probe ? [deref(d.properties!.probe)] : []));
    expect(probes.length).toBeGreaterThan(3);
    for (const p of probes) for (const k of keyPaths(p)) expect(names(body, k), `probe.${k}`).toBe(true);
  });
});

// ---- links -----------------------------------------------------------------------------------

describe('links', () => {
  test('every docs/ page is linked from the README', () => {
    const links = new Set([...prose(read('README.md')).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]));
    expect(DOCS.length).toBeGreaterThanOrEqual(9);
    for (const d of DOCS) expect(links.has(d), `README links to ${d}`).toBe(true);
  });

  test.each(PAGES)('%s: every relative link resolves to a file, and its #anchor to a heading', (page) => {
    const text = prose(read(page));
    const broken: string[] = [];
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1];
      if (/^[a-z][\w+.-]*:/i.test(target)) continue; // https:, mailto:
      const [path, anchor] = target.split('#');
      const file = path ? relative(ROOT, resolve(dirname(join(ROOT, page)), path)) : page;
      if (!existsSync(join(ROOT, file))) {
        broken.push(`${target}: no file ${file}`);
        continue;
      }
      if (anchor === undefined) continue;
      if (!file.endsWith('.md') || statSync(join(ROOT, file)).isDirectory()) {
        broken.push(`${target}: an anchor into a file that is not Markdown`);
        continue;
      }
      if (!anchors(read(file)).has(anchor)) broken.push(`${target}: no heading #${anchor} in ${file}`);
    }
    expect(broken).toEqual([]);
  });
});

// ---- the README's two commands ------------------------------------------------------------------

describe("the README's two first commands are the ones CI and the demo test run", () => {
  const block = /```sh\n([\s\S]*?)```/.exec(read('README.md'));
  const lines = (block?.[1] ?? '')
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);

  test('the README opens with them', () => {
    expect(lines).toEqual(['npm ci && npx audit-evidence collect --week --demo', 'npm test']);
  });

  test('.ci/run installs with npm ci and runs npm test', () => {
    const run = read('.ci/run')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const [install, demo] = lines[0].split(' && ');
    expect(run.some((l) => l === install || l.startsWith(`${install} `))).toBe(true);
    expect(run).toContain(lines[1]);
    // npm ci builds (prepare), npx finds the binary, npm test is a script.
    const pkg = JSON.parse(read('package.json'));
    expect(pkg.scripts.prepare).toMatch(/\btsc\b/);
    expect(pkg.bin[demo.split(' ')[1]]).toBe('bin/audit-evidence.js');
    expect(pkg.scripts[lines[1].split(' ')[1]]).toBeDefined();
  });

  test('a test runs the demo command with exactly these arguments', () => {
    const args = lines[0].split(' && ')[1].split(' ').slice(2); // after `npx audit-evidence`
    const call = `runCli([${args.map((a) => `'${a}'`).join(', ')}]`;
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const f of readdirSync(join(ROOT, dir))) {
        const p = `${dir}/${f}`;
        if (statSync(join(ROOT, p)).isDirectory()) walk(p);
        else if (p.endsWith('.test.ts') && read(p).includes(call)) files.push(p);
      }
    };
    walk('test');
    expect(files, call).toContain('test/cli/collect.test.ts');
  });
});

// ---- the auditor's recipe -------------------------------------------------------------------------

/** The lines of the ```sh blocks of a Markdown text, trimmed, without blanks and comment-only lines. */
function shLines(md: string): string[] {
  return [...md.matchAll(/^```sh\n([\s\S]*?)^```$/gm)]
    .flatMap((m) => m[1].split('\n'))
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

test("docs/auditor.md's recipe by hand is the one VERIFY.md gives in a bundle", async () => {
  const dir = tempDir('ae-docs-');
  try {
    const zip = join(dir, 'demo.zip');
    const r = await runCli(['collect', '--week', '--demo', '--out', zip, '-q'], { env: { SOURCE_DATE_EPOCH: EPOCH } });
    expect(r.code, r.stderr).toBe(0);
    const verifyMd = (await readAll(zip)).get('VERIFY.md')!.toString('utf8');
    // The key is the one line that differs: the bundle's copy there (so its commands run as written),
    // the auditor's own copy here.
    const notKey = (l: string) => !l.startsWith('KEY=');
    const given = shLines(verifyMd).filter(notKey);
    const manual = shLines(section(read('docs/auditor.md'), '## Verifying by hand, without this tool')).filter(notKey);
    expect(given.length).toBeGreaterThan(15);
    expect(manual).toEqual(given);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
