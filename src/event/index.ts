export type * from './types.generated.js';
export { buildEvent, eventId, fullLocation, snakeCase } from './build.js';
export type { EventInput, SourceInput, Category, EventOutcome, UserType, SourceKind } from './build.js';
export { validateEvent, formatAjvErrors, getAjv, eventSchema, packageFile, EVENT_SCHEMA_PATH } from './schema.js';
export { canonicalJson } from './canonical.js';
export { sha256Hex } from './hash.js';
export {
  toUtcIso,
  parseZonedLocal,
  parseOffset,
  isValidZone,
  parseTimestampWithZone,
  ZONE_ABBREVIATIONS,
} from './time.js';
export { privileged, privilegeFor, ADMIN_CATEGORIES } from './privilege.js';
