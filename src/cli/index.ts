// The command-line program: a thin layer over the library. The only place that prints and exits.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { normalizeCommand } from './normalize.js';
import { checkCommand } from './check.js';
import { filterCommand } from './filter.js';
import { collectCommand } from './collect.js';
import { verifyCommand } from './verify.js';
import { keygenCommand } from './keygen.js';
import { initCommand } from './init.js';
import { probeCommand } from './probe.js';
import { publishCommand } from './publish.js';
import { reportError, EXIT_ERROR } from './errors.js';
import { packageFile } from '../event/schema.js';

export const VERSION: string = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')).version;

const output = { outputError: (str: string, write: (s: string) => void) => write(`audit-evidence: ${str}`) };

export function buildProgram(): Command {
  const program = new Command('audit-evidence')
    .description('Turn database and cloud audit logs into audit evidence an auditor accepts.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput(output);
  const commands: Command[] = [
    normalizeCommand(),
    checkCommand(),
    filterCommand(),
    collectCommand(),
    verifyCommand(),
    keygenCommand(),
    initCommand(),
    probeCommand(),
    publishCommand(),
  ];
  for (const c of commands) {
    c.showHelpAfterError('(run with --help for usage)').configureOutput(output).exitOverride();
    program.addCommand(c);
  }
  program.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<void> {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : EXIT_ERROR;
      return;
    }
    process.exitCode = reportError(e);
  }
}
