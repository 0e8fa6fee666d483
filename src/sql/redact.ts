// Kept for imports from earlier versions: the redaction rules live in src/redact/ (policy.ts holds
// the table). Raw text of line formats: redactSecrets; SQL statements: redactSql (a tokenizer).
export { redactSecrets, REDACTED } from '../redact/text.js';
export { redactSql, redactSqlCounted } from '../redact/sql.js';
