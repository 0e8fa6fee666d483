// `audit-evidence init` (being built; see the issue that introduces it).
import { Command } from 'commander';
import { UserError } from './errors.js';

export function initCommand(): Command {
  return new Command('init')
    .description('(not available yet)')
    .allowUnknownOption()
    .action(() => { throw new UserError('the init command is not available yet'); });
}
