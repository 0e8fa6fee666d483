import { plannedAdapter } from '../stub.js';

export const adapter = plannedAdapter('gcp-audit', 'gcp', 'GCP Cloud Audit Logs');
