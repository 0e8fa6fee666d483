// `audit-evidence check` (being built; see the issue that introduces it).
import { Command } from 'commander';
import { UserError } from './errors.js';

export function checkCommand(): Command {
  return new Command('check')
    .description('(not available yet)')
    .allowUnknownOption()
    .action(() => { throw new UserError('the check command is not available yet'); });
}
