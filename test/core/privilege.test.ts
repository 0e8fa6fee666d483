// privileged() and privilegeFor() give the same field as their first form (filter, Set, spread),
// which they replaced for speed: compared over random inputs (fixed seed; AE_PROPERTY_SEED=random).
import { expect, test } from 'vitest';
import fc from 'fast-check';
import { ADMIN_CATEGORIES, privileged, privilegeFor } from '../../src/event/privilege.js';
import type { Category } from '../../src/event/build.js';
import type { Privileged } from '../../src/event/types.generated.js';

const seed = process.env.AE_PROPERTY_SEED === 'random' ? undefined : 20261208;

function reference(...reasons: Array<string | false | null | undefined>): Privileged {
  const r = [...new Set(reasons.filter((x): x is string => typeof x === 'string' && x.length > 0))];
  return { value: r.length > 0, reasons: r };
}

const reason = fc.oneof(
  fc.constantFrom('admin_action', 'root_identity', 'superuser', 'audit_disabled', '', 'x'),
  fc.string({ maxLength: 3 }),
  fc.constantFrom(false, null, undefined),
);
const categories: Category[] = [
  ...(ADMIN_CATEGORIES as Set<Category>),
  'authentication',
  'data_exposure',
  'change_execution',
  'other',
] as Category[];

test('privileged: same reasons, order and value as the filter/Set form', () => {
  fc.assert(
    fc.property(fc.array(reason, { maxLength: 8 }), (rs) => {
      expect(privileged(...rs)).toEqual(reference(...rs));
    }),
    { numRuns: 5000, seed },
  );
});

test('privilegeFor: same field as privileged() over the rule', () => {
  const opt = fc.option(fc.boolean(), { nil: undefined });
  fc.assert(
    fc.property(
      fc.constantFrom(...categories),
      opt,
      opt,
      opt,
      fc.option(
        fc.array(
          fc.oneof(fc.constantFrom('admin_action', 'superuser', 'audit_disabled', ''), fc.string({ maxLength: 2 })),
          { maxLength: 4 },
        ),
        { nil: undefined },
      ),
      (category, ddl, root, superuser, extra) => {
        const got = privilegeFor({ category, ddl, root, superuser, extra });
        const want = reference(
          (ADMIN_CATEGORIES.has(category) || ddl) && 'admin_action',
          root && 'root_identity',
          superuser && 'superuser',
          ...(extra ?? []),
        );
        expect(got).toEqual(want);
      },
    ),
    { numRuns: 5000, seed },
  );
});
