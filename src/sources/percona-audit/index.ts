import { plannedAdapter } from '../stub.js';

export const adapter = plannedAdapter('percona-audit', 'mysql', 'Percona audit log');
