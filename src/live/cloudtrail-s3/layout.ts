// Where CloudTrail writes in S3, and which prefixes a period needs:
//   [<prefix>/]AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<id>.json.gz
//   [<prefix>/]AWSLogs/[<org-id>/]<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/<account>_CloudTrail-Digest_<region>_<trail>_<home-region>_<YYYYMMDDTHHmmssZ>.json.gz
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/get-and-view-cloudtrail-log-files.html
export const HOUR = 3600_000;

export function accountsRoot(prefix: string | undefined, org: string | undefined): string {
  const p = prefix ? `${prefix.replace(/\/+$/, '')}/` : '';
  return `${p}AWSLogs/${org ? `${org}/` : ''}`;
}

/** The UTC days (YYYY/MM/DD) that [from, to] touches. */
export function daysBetween(from: Date, to: Date): string[] {
  const out: string[] = [];
  const d = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()));
  while (d.getTime() <= to.getTime()) {
    out.push(
      `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}`,
    );
    d.setUTCDate(d.getUTCDate() + 1);
  }
  return out;
}

/** Delivery time from a log or digest file name (…_YYYYMMDDTHHmmZ_… or …_YYYYMMDDTHHmmssZ.json.gz). */
export function fileTime(key: string): number | null {
  const m = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})?Z(?:_|\.json)/.exec(key.slice(key.lastIndexOf('/') + 1));
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], m[6] ? +m[6] : 0) : null;
}
