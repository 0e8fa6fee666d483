// `audit-evidence filter` (being built; see the issue that introduces it).
import { Command } from 'commander';
import { UserError } from './errors.js';

export function filterCommand(): Command {
  return new Command('filter')
    .description('(not available yet)')
    .allowUnknownOption()
    .action(() => { throw new UserError('the filter command is not available yet'); });
}
