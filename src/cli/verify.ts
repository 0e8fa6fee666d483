// `audit-evidence verify` (being built; see the issue that introduces it).
import { Command } from 'commander';
import { UserError } from './errors.js';

export function verifyCommand(): Command {
  return new Command('verify')
    .description('(not available yet)')
    .allowUnknownOption()
    .action(() => { throw new UserError('the verify command is not available yet'); });
}
