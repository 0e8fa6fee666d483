// HTML/XML text escaping for the report page and its inline SVG: every value that comes from a log,
// a configuration or a user is escaped, so a `<script>` in a user name stays text.
export function escapeHtml(s: unknown): string {
  return String(s ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** A CSS string literal (for @page margin boxes): quotes, backslashes, line breaks and '<' escaped. */
export function cssString(s: string): string {
  return `"${s.replace(/[\\"<>\n\r]/g, (c) => `\\${c.charCodeAt(0).toString(16)} `)}"`;
}
