// html-validate (https://html-validate.org) with its recommended rules, which include the WCAG
// checks (table headers, lang, ...): the report page must come out with no message at all.
import { HtmlValidate } from 'html-validate';

const validator = new HtmlValidate({ extends: ['html-validate:recommended'] });

/** Every message html-validate gives for the page, as 'line:column rule: message' (empty: valid). */
export async function validateHtml(html: string): Promise<string[]> {
  const r = await validator.validateString(html);
  return r.results.flatMap((f) => f.messages.map((m) => `${m.line}:${m.column} ${m.ruleId}: ${m.message}`));
}
