// The files a cloudtrail-s3 source adds to the bundle, and reading them back (verify):
//   raw/<source>/objects.jsonl                    one line per log object read: key, ETag, size, SHA-256 (object and uncompressed)
//   integrity/<source>/cloudtrail-digests.jsonl   one line per digest file: location, signature and algorithm (S3 metadata), uncompressed bytes
//   integrity/<source>/cloudtrail-public-keys.json  the CloudTrail public keys (ListPublicKeys), by fingerprint
//   integrity/<source>/cloudtrail-digest-report.json  the check's scope and result
import type { DigestReport, PublicKeyEntry } from './cloudtrail-digest.js';

export interface AttachedFile {
  name: string;
  data: Buffer;
}

export const objectsFileName = (source: string): string => `raw/${source}/objects.jsonl`;
export const digestsFileName = (source: string): string => `integrity/${source}/cloudtrail-digests.jsonl`;
export const publicKeysFileName = (source: string): string => `integrity/${source}/cloudtrail-public-keys.json`;
export const reportFileName = (source: string): string => `integrity/${source}/cloudtrail-digest-report.json`;

export interface DigestReportFile {
  scope: { start: string; end: string };
  report: DigestReport;
}

/** The small integrity files, made at the end (objects.jsonl and the digests are streamed to temporary files by the source). */
export function integrityFiles(
  source: string,
  m: {
    publicKeys: PublicKeyEntry[];
    report: DigestReport | null;
    scope?: { start: string; end: string };
  },
): AttachedFile[] {
  if (!m.report || !m.scope) return [];
  return [
    { name: publicKeysFileName(source), data: Buffer.from(`${JSON.stringify(m.publicKeys, null, 2)}\n`) },
    {
      name: reportFileName(source),
      data: Buffer.from(
        `${JSON.stringify({ scope: m.scope, report: m.report } satisfies DigestReportFile, null, 2)}\n`,
      ),
    },
  ];
}
