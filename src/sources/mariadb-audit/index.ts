import { plannedAdapter } from '../stub.js';

export const adapter = plannedAdapter('mariadb-audit', 'mariadb', 'MariaDB server audit');
