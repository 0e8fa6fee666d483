// Every completeness rule, in report order. Ids are stable: CI configurations name them.
import type { Rule } from '../rule.js';
import { auditDisabled } from './audit-disabled.js';
import { privilegedBreakGlass } from './privileged-break-glass.js';
import { fieldMissing } from './field-missing.js';
import { timeInvalid } from './time-invalid.js';
import { timeOutsideWindow } from './time-outside-window.js';
import { identityShared } from './identity-shared.js';
import { identityAmbiguous } from './identity-ambiguous.js';
import { resourceImplicit } from './resource-implicit.js';
import { categoryEmpty } from './category-empty.js';
import { sequenceGap } from './sequence-gap.js';
import { inputRejected } from './input-rejected.js';
import { retentionShort } from './retention-short.js';
import { probeNotFound, probeFound } from './probe.js';
import { integrityCloudTrailDigest } from './integrity-cloudtrail-digest.js';

export const RULES: readonly Rule[] = [
  auditDisabled,
  privilegedBreakGlass,
  fieldMissing,
  timeInvalid,
  timeOutsideWindow,
  identityShared,
  identityAmbiguous,
  resourceImplicit,
  categoryEmpty,
  sequenceGap,
  inputRejected,
  retentionShort,
  probeNotFound,
  probeFound,
  integrityCloudTrailDigest,
];

/** Rules listed at the top of every report, before anything else. */
export const PROMINENT: readonly string[] = [auditDisabled.id, privilegedBreakGlass.id];

/**
 * Rules whose findings fail the gate unless --fail-on says otherwise: the error-severity rules
 * that do not already count against --min-complete.
 */
export const DEFAULT_FAIL_ON: readonly string[] = RULES.filter((r) => r.severity === 'error' && !r.incomplete).map(
  (r) => r.id,
);

export function findRule(id: string): Rule | undefined {
  return RULES.find((r) => r.id === id);
}

export {
  auditDisabled,
  privilegedBreakGlass,
  fieldMissing,
  timeInvalid,
  timeOutsideWindow,
  identityShared,
  identityAmbiguous,
  resourceImplicit,
  categoryEmpty,
  sequenceGap,
  inputRejected,
  retentionShort,
  probeNotFound,
  probeFound,
  integrityCloudTrailDigest,
};
