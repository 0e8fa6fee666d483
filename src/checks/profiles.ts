// Field profiles: which fields every row must carry for a framework. Each field names where in
// the event it is read and when it counts as missing. SOC 2 asks for the four fields an auditor
// samples; PCI DSS 10.2.2 adds success/failure and origination; ISO 27001 A.8.15 adds the system
// identity and the network address; HIPAA 164.312(b) gives no field list, so it uses SOC 2's.
import type { AuditEvent } from '../event/types.generated.js';
import { isPlaceholder } from './placeholder.js';
import type { ProfileId } from './types.js';

export interface ProfileField {
  /** Stable field name used in reports and findings. */
  name: string;
  /** The event path(s) read, for the report. */
  reads: string;
  /** Null when present; else a short reason why it counts as missing. */
  missing(e: AuditEvent): string | null;
}

export interface Profile {
  id: ProfileId;
  title: string;
  /** The framework clause, for the report. */
  basis: string;
  fields: ProfileField[];
}

function textField(name: string, reads: string, get: (e: AuditEvent) => string | null): ProfileField {
  return {
    name,
    reads,
    missing(e) {
      const v = get(e);
      if (v === null) return 'null';
      return isPlaceholder(v) ? `placeholder '${v}'` : null;
    },
  };
}

export const FIELDS = {
  user: textField('user', 'user.name', (e) => e.user.name),
  action: textField('action', 'action.name', (e) => e.action.name),
  timestamp: {
    name: 'timestamp',
    reads: 'timestamp',
    missing: (e: AuditEvent) =>
      e.timestamp === null ? 'null' : isPlaceholder(e.timestamp) ? `placeholder '${e.timestamp}'` : null,
  },
  resource: textField('resource', 'resource.name', (e) => e.resource.name),
  outcome: {
    name: 'outcome',
    reads: 'outcome',
    missing: (e: AuditEvent) =>
      e.outcome === 'unknown' ? "'unknown' (the source does not say whether it succeeded)" : null,
  },
  origin: textField('origin', 'origin.address', (e) => e.origin.address),
  system: {
    name: 'system',
    reads: 'resource.scope.instance | project | account | source.instance',
    missing: (e: AuditEvent) => {
      const s = e.resource.scope;
      return [s.instance, s.project, s.account, e.source.instance].some((v) => !isPlaceholder(v))
        ? null
        : 'null (no instance, project or account)';
    },
  },
  address: textField('address', 'origin.address', (e) => e.origin.address),
} satisfies Record<string, ProfileField>;

const BASE = [FIELDS.user, FIELDS.action, FIELDS.timestamp, FIELDS.resource];

export const PROFILES: Record<ProfileId, Profile> = {
  soc2: {
    id: 'soc2',
    title: 'SOC 2',
    basis: 'SOC 2 CC7.2 / CC6.1: who did what, when, to which resource',
    fields: BASE,
  },
  pci: {
    id: 'pci',
    title: 'PCI DSS',
    basis: 'PCI DSS v4 10.2.2: user, type of event, date and time, success or failure, origination, affected resource',
    fields: [...BASE, FIELDS.outcome, FIELDS.origin],
  },
  iso27001: {
    id: 'iso27001',
    title: 'ISO/IEC 27001',
    basis: 'ISO/IEC 27001:2022 A.8.15 (27002 8.15): user, activity, date and time, system identity, network address',
    fields: [...BASE, FIELDS.system, FIELDS.address],
  },
  hipaa: {
    id: 'hipaa',
    title: 'HIPAA',
    basis: 'HIPAA 164.312(b) audit controls: no field list is given, so the SOC 2 fields apply',
    fields: BASE,
  },
};

export const PROFILE_IDS = Object.keys(PROFILES) as ProfileId[];

export function profileFor(id: ProfileId | undefined): Profile {
  return PROFILES[id ?? 'soc2'];
}
