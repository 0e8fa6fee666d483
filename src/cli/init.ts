// `audit-evidence init`: writes a commented starter configuration that validates as written.
import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { STARTER_CONFIG } from '../config/starter.js';
import { UserError, errnoText } from './errors.js';

export function initCommand(): Command {
  return new Command('init')
    .description('Write a commented starter configuration for collect (every option explained).')
    .option('-o, --out <file>', 'where to write it (- for standard output)', 'audit-evidence.yaml')
    .option('--force', 'overwrite an existing file')
    .addHelpText(
      'after',
      `
Example:
  $ audit-evidence init && $EDITOR audit-evidence.yaml
  $ audit-evidence collect --week --config audit-evidence.yaml`,
    )
    .action((opts: { out: string; force?: boolean }) => {
      if (opts.out === '-') {
        process.stdout.write(STARTER_CONFIG);
        return;
      }
      try {
        writeFileSync(opts.out, STARTER_CONFIG, { flag: opts.force ? 'w' : 'wx' });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new UserError(
          code === 'EEXIST'
            ? `${opts.out} already exists (use --force to overwrite it)`
            : `cannot write ${opts.out}: ${errnoText(e)}`,
        );
      }
      process.stderr.write(
        `audit-evidence: wrote ${opts.out}; edit the sources, then run: audit-evidence collect --week --config ${opts.out}\n`,
      );
    });
}
