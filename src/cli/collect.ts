// `audit-evidence collect` (being built; see the issue that introduces it).
import { Command } from 'commander';
import { UserError } from './errors.js';

export function collectCommand(): Command {
  return new Command('collect')
    .description('(not available yet)')
    .allowUnknownOption()
    .action(() => { throw new UserError('the collect command is not available yet'); });
}
