// Shell-style globs for --user / --action / --resource: '*' any run of characters, '?' one
// character, everything else literal. Case-insensitive: auditors type names as they remember them.
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (const ch of glob) {
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else re += ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'is');
}

/** A matcher for several globs (any may match). */
export function globsMatcher(globs: string[]): (v: string | null | undefined) => boolean {
  const res = globs.map(globToRegExp);
  return (v) => v != null && res.some((r) => r.test(v));
}
