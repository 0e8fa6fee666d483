import { plannedAdapter } from '../stub.js';

export const adapter = plannedAdapter('pgaudit', 'postgresql', 'PostgreSQL pgaudit logs');
