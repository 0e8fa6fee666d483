// The static list of format adapters. Adding a format is writing its adapter folder under
// src/sources/<id>/ and adding one import and one entry here. Detection tries them in this order.
import type { AdapterCatalog, FormatAdapter } from '../pipeline/types.js';
import { adapter as pgaudit } from './pgaudit/index.js';
import { adapter as cloudtrail } from './cloudtrail/index.js';
import { adapter as gcpAudit } from './gcp-audit/index.js';
import { adapter as mariadbAudit } from './mariadb-audit/index.js';
import { adapter as mysqlEnterpriseAudit } from './mysql-enterprise-audit/index.js';
import { adapter as perconaAudit } from './percona-audit/index.js';
import { adapter as bytebase } from './bytebase/index.js';
import { adapter as cloudwatchLogs } from './cloudwatch-logs/index.js';

export const adapters: FormatAdapter[] = [
  pgaudit,
  cloudtrail,
  gcpAudit,
  mariadbAudit,
  mysqlEnterpriseAudit,
  perconaAudit,
  bytebase,
  cloudwatchLogs,
];

export function findAdapter(id: string): FormatAdapter | undefined {
  return adapters.find((a) => a.id === id);
}

export function formatIds(): string[] {
  return adapters.map((a) => a.id);
}

/** The catalog the pipeline is handed (RunOptions.adapters, detectFormat); workers import it from `module`. */
export const catalog: AdapterCatalog = { adapters, find: findAdapter, ids: formatIds, module: import.meta.url };
