// Advice that fits the command that prints it. Adapters and the pipeline write their hints for the
// commands that read files (normalize, check, filter): "give the server's zone with --timezone".
// In collect those options do not exist (or mean something else: collect's --timezone moves the
// period); the same setting is a key of the source in the configuration file. Every reason, note
// and reject collect records goes through here.
const CONFIG_KEY: Record<string, string> = {
  timezone: 'timezone',
  format: 'format',
  'log-line-prefix': 'log_line_prefix',
  instance: 'name',
};

/** Rewrites the file commands' option names in `text` to the configuration keys of `source`. */
export function collectHint(text: string, source: string): string {
  if (!text.includes('--')) return text;
  return text.replace(
    /\b(?:pass |give it with |name it with |with )?--(timezone|format|log-line-prefix|instance)\b(?![-\w=])/g,
    (m, opt: string) => {
      const key = CONFIG_KEY[opt]!;
      const where = `${key} for source ${source} in the configuration file`;
      if (m.startsWith('pass ')) return `set ${where}`;
      if (m.startsWith('name it with ')) return `name it with ${where}`;
      if (m.startsWith('give it with ')) return `give it with ${where}`;
      if (m.startsWith('with ')) return `with ${where}`;
      return where;
    },
  );
}
