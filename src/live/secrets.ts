// Keeps connection secrets out of everything a live source says: error messages, progress lines,
// the `how` text and the recorded settings. Drivers sometimes echo the connection string back in an
// error, so every message a source records passes through `scrub` first.

export class Scrubber {
  private readonly secrets: string[];
  constructor(secrets: Array<string | null | undefined>) {
    // Longest first, so a secret that contains another is replaced whole.
    this.secrets = [...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= 3))]
      .flatMap((s) => [s, encodeURIComponent(s)])
      .sort((a, b) => b.length - a.length);
  }

  scrub(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('*****');
    // user:password@ in any URL the driver may have echoed.
    return out.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)[^@\s/]*@/gi, '$1*****@');
  }
}

/** A URL with its password removed, for the `how` text. */
export function urlWithoutPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '';
    for (const k of [...u.searchParams.keys()]) if (/pass|secret|token|key/i.test(k)) u.searchParams.set(k, '*****');
    return u.toString().replace(/:@/, '@');
  } catch {
    return '(unparsable connection URL)';
  }
}
