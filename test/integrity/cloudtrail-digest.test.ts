// CloudTrail digest validation: the signing primitives against the AWS CLI's published known answer
// (result_sign.json, verified with the CLI's SAMPLE_PUBLIC_KEY), the string to sign as the CLI
// builds it, and properties over a generated chain: any change to a signed digest or a log file's
// bytes is caught and named, and nothing else is.
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import {
  digestStringToSign,
  keyFingerprint,
  validateDigests,
  verifySha256Rsa,
  type DigestFile,
  type LogObject,
} from '../../src/integrity/cloudtrail-digest.js';
import { startS3 } from '../helpers/servers/s3.js';
import { testKey, writeTrail } from '../helpers/cloudtrail-trail.js';

// tests/functional/cloudtrail/test_verifyqueryresults.py (aws/aws-cli @ 73fb33bb), SAMPLE_PUBLIC_KEY.
const SAMPLE_PUBLIC_KEY =
  'MIIBCgKCAQEA1OxVzcylHnxhysU41BcHucQn47bywceJEPkze53R' +
  'ZUaYtvTAXYf0ONbdk/yQ8c5Bq6l5nL0qjT1UNhVfccCsTaToL58w' +
  'PePg9U29D+MtiQXz6yecW7Rzs5rP5i4EU2YDPoYaphIVowYZjkHy' +
  'C72L/2lQ/Q5rSotIjUdCq6Wv6i7bFHLiCNtgP95xfL9pxytAyGdC' +
  'zHDBJb/H60x7q/wqO6/HaZI38aY7piHqazd2vpaNxPShHyvpdR0P' +
  '29tNFxo+5V4VVW2/QC1/QLTLLAzQNiO+ZOpsHa8rgYmPv0YI4sFA' +
  '9vFhHyUdh9skopO7Jg/gAjAdtzuLCnXpfuwQ/+EXnQIDAQAB';

describe('known answers from the AWS CLI', () => {
  const sign = JSON.parse(readFileSync('fixtures/cloudtrail-digest/aws-cli__result_sign.json', 'utf8'));
  test("a real CloudTrail public key's Fingerprint (list-public-keys example) is the MD5 of its DER bytes", () => {
    const rst = readFileSync('fixtures/cloudtrail-digest/aws-cli__list-public-keys.rst', 'utf8');
    const value = /"Value": "([^"]+)"/.exec(rst)![1];
    const fp = /"Fingerprint": "([0-9a-f]{32})"/.exec(rst)![1];
    expect(fp).toBe('7f3f401420072e50a65a141430817ab3');
    expect(keyFingerprint(value)).toBe(fp);
    // The CLI test's sample key carries a label, not its MD5: the MD5 of its DER is another value.
    expect(sign.publicKeyFingerprint).toBe('67b9fa73676d86966b449dd677850753');
    expect(keyFingerprint(SAMPLE_PUBLIC_KEY)).toBe('e00b881a39d15623efee61d0eaf2874a');
  });
  test('result_sign.json verifies: the file hash is SHA-256 of the .csv.gz, and the signature (SHA256withRSA) holds', () => {
    const gz = readFileSync('fixtures/cloudtrail-digest/aws-cli__result_1.csv.gz');
    expect(createHash('sha256').update(gz).digest('hex')).toBe(sign.files[0].fileHashValue);
    const signed = sign.files.map((f: { fileHashValue: string }) => f.fileHashValue).join(' ');
    expect(sign.signatureAlgorithm).toBe('SHA256withRSA');
    expect(verifySha256Rsa(signed, sign.hashSignature, SAMPLE_PUBLIC_KEY)).toBe(true);
  });
  test('a changed message or signature does not verify', () => {
    const signed: string = sign.files[0].fileHashValue;
    expect(verifySha256Rsa(`${signed.slice(0, -1)}1`, sign.hashSignature, SAMPLE_PUBLIC_KEY)).toBe(false);
    const sig: string = sign.hashSignature;
    expect(
      verifySha256Rsa(signed, `${sig.slice(0, -2)}${sig.slice(-2) === '00' ? '01' : '00'}`, SAMPLE_PUBLIC_KEY),
    ).toBe(false);
    expect(verifySha256Rsa(signed, 'not hex', SAMPLE_PUBLIC_KEY)).toBe(false);
  });
  test('the string to sign is the CLI\'s (validation.py _create_string_to_sign), previous signature "null" when none', () => {
    const d = {
      digestEndTime: '2024-05-02T01:00:00Z',
      digestS3Bucket: 'b',
      digestS3Object: 'k.json.gz',
      previousDigestSignature: null,
    };
    expect(digestStringToSign(d, Buffer.from('{}'))).toBe(
      `2024-05-02T01:00:00Z\nb/k.json.gz\n${createHash('sha256').update('{}').digest('hex')}\nnull`,
    );
  });
});

describe('validateDigests over a generated chain', async () => {
  const key = testKey();
  const s3 = await startS3();
  const trail = writeTrail(s3, {
    start: Date.UTC(2024, 4, 1, 0),
    hours: 5,
    key,
    accounts: ['111122223333'],
    regions: ['us-east-1'],
    filesPerHour: 2,
  });
  await s3.stop();
  const digests: DigestFile[] = trail.digestKeys.map((k) => {
    const v = s3.getObject(trail.bucket, k)!;
    return {
      bucket: trail.bucket,
      key: k,
      signature: v.meta.signature,
      signature_algorithm: v.meta['signature-algorithm'],
      digest_base64: gunzipSync(v.body).toString('base64'),
    };
  });
  const logs: LogObject[] = trail.logKeys.map((k) => ({
    bucket: trail.bucket,
    key: k,
    uncompressed_sha256: createHash('sha256')
      .update(gunzipSync(s3.getObject(trail.bucket, k)!.body))
      .digest('hex'),
  }));
  const publicKeys = [{ fingerprint: key.fingerprint, value: key.der, validity_start: null, validity_end: null }];
  const scope = { start: '2024-05-01T00:00:00.000Z', end: '2024-05-01T06:00:00.000Z' };

  test('untouched: pass, every file covered', () => {
    const r = validateDigests({ digests, publicKeys, logs, scope });
    expect(r).toMatchObject({ pass: true, digests: 5, digests_valid: 5, files_covered: 10 });
  });

  test('property: any byte changed in a signed digest invalidates that digest (and only the chain link after it can suffer)', () => {
    fc.assert(
      fc.property(fc.nat({ max: digests.length - 1 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (i, pos, x) => {
        const bytes = Buffer.from(digests[i].digest_base64, 'base64');
        const p = pos % bytes.length;
        bytes[p] ^= x;
        const changed = digests.map((d, j) => (j === i ? { ...d, digest_base64: bytes.toString('base64') } : d));
        const r = validateDigests({ digests: changed, publicKeys, logs, scope });
        expect(r.pass).toBe(false);
        expect(r.invalid_digests.map((d) => d.file)).toContain(`s3://${trail.bucket}/${digests[i].key}`);
      }),
      { numRuns: 60 },
    );
  });

  test('property: a log file whose bytes changed is named as changed, the others stay covered', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: logs.length - 1 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex')),
        (i, h) => {
          fc.pre(h !== logs[i].uncompressed_sha256);
          const changed = logs.map((l, j) => (j === i ? { ...l, uncompressed_sha256: h } : l));
          const r = validateDigests({ digests, publicKeys, logs: changed, scope });
          expect(r.files_changed).toEqual([`s3://${trail.bucket}/${logs[i].key}`]);
          expect(r.files_covered).toBe(logs.length - 1);
          expect(r.invalid_digests).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });

  test('a missing signature, another algorithm, a moved digest, no keys at all', () => {
    const r = validateDigests({
      digests: [
        { ...digests[0], signature: null },
        { ...digests[1], signature_algorithm: 'SHA1withRSA' },
        { ...digests[2], key: digests[2].key.replace('.json.gz', '_copy.json.gz') },
        ...digests.slice(3),
      ],
      publicKeys,
      logs,
      scope,
    });
    expect(r.invalid_digests.map((p) => p.problem)).toEqual(
      expect.arrayContaining([
        'has no signature (the x-amz-meta-signature object metadata is missing)',
        "signature algorithm 'SHA1withRSA' is not SHA256withRSA",
        expect.stringMatching(/^has been moved from its original location/),
      ]),
    );
    const none = validateDigests({ digests, publicKeys: [], logs, scope });
    expect(none.digests_valid).toBe(0);
    expect(none.files_without_digest).toHaveLength(logs.length);
  });
});
