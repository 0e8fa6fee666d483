import { plannedAdapter } from '../stub.js';

export const adapter = plannedAdapter('mysql-enterprise-audit', 'mysql', 'MySQL Enterprise Audit');
