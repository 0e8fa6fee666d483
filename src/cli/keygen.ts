// `audit-evidence keygen` (being built; see the issue that introduces it).
import { Command } from 'commander';
import { UserError } from './errors.js';

export function keygenCommand(): Command {
  return new Command('keygen')
    .description('(not available yet)')
    .allowUnknownOption()
    .action(() => { throw new UserError('the keygen command is not available yet'); });
}
