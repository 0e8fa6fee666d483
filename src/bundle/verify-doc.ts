// VERIFY.md: how an auditor checks the bundle with standard tools (unzip, sha256sum, base64,
// printf, openssl 3) and without audit-evidence. test/bundle/verify-doc.test.ts runs the shell
// blocks below against a real bundle, so the recipe stays true.
import { ENVELOPE_FILE, MANIFEST_FILE, PUBLIC_KEY_FILE, SUMS_FILE, EVENTS_FILE } from './manifest.js';
import { INTOTO_PAYLOAD_TYPE } from './dsse.js';

export interface VerifyDocInfo {
  keyid: string;
  ephemeral: boolean;
  demo: boolean;
}

export function verifyDoc(info: VerifyDocInfo): string {
  const typeLen = Buffer.byteLength(INTOTO_PAYLOAD_TYPE);
  return `# How to verify this evidence bundle
${info.demo ? '\n**DEMO BUNDLE: built from sample logs with shifted timestamps. It is not evidence of any real system.**\n' : ''}${
  info.ephemeral
    ? `
**WARNING: this bundle was signed with an ephemeral key that was generated for one run and then
discarded. The signature shows the files were not changed after signing, but not who signed them.**
`
    : ''
}
Everything below uses standard tools only: \`unzip\`, \`sha256sum\` (\`shasum -a 256\` on macOS),
\`base64\`, \`printf\`, \`cmp\` and OpenSSL 3.0 or later. With audit-evidence installed, one command
does all of it: \`audit-evidence verify BUNDLE.zip --pubkey KEY.pub.pem\`.

## What the files are

| File | What it holds |
| --- | --- |
| \`${MANIFEST_FILE}\` | in-toto Statement v1: every other file with its sha256 (\`subject\`), and the evidence description (\`predicate\`: period, sources and how each was read, counts, status, Merkle root, completeness, previous bundle) |
| \`${ENVELOPE_FILE}\` | DSSE envelope: the manifest (base64 \`payload\`) and its Ed25519 signature (\`sig\`), key id = sha256 of the public key (DER SubjectPublicKeyInfo) |
| \`${SUMS_FILE}\` | sha256 of every file except the two manifest files and itself |
| \`${PUBLIC_KEY_FILE}\` | the signer's public key **as the bundle asserts it**: check it against the key you received from the signer by another channel |
| \`${EVENTS_FILE}\` / \`events.csv\` | the normalized events (one canonical JSON object per line) / the same rows for spreadsheets |
| \`rejects.jsonl\` | records that could not be normalized, with location and reason |
| \`raw/<source>/records.jsonl\` | every raw record read in the period: its sha256 (of the bytes as read), where it was read, and its text; a record whose secrets were redacted has \`redacted\` (the number of values replaced) and its text no longer hashes to its sha256 |
| \`report/\` | \`completeness.json\` (the completeness check) and \`summary.html\` (the human view) |
| \`schema/event.schema.json\` | the JSON Schema the events were validated against |

## 1. Unzip

\`\`\`sh
unzip -q BUNDLE.zip -d bundle && cd bundle
\`\`\`

## 2. Check the signature over the manifest

Use the public key you received from the signer (key id \`${info.keyid}\`). The bundled
\`${PUBLIC_KEY_FILE}\` is used below only so the commands run as written; a key shipped inside the
bundle proves nothing about who signed it, so replace it with your own copy.

\`\`\`sh
KEY=${PUBLIC_KEY_FILE}
# The envelope's payload is manifest.intoto.json, byte for byte:
sed -n 's/^  "payload": "\\(.*\\)",$/\\1/p' ${ENVELOPE_FILE} | base64 -d | cmp - ${MANIFEST_FILE} && echo "payload matches ${MANIFEST_FILE}"
# The key is the one the envelope names (key id = sha256 of the DER public key):
openssl pkey -pubin -in "$KEY" -outform DER | sha256sum
grep '"keyid"' ${ENVELOPE_FILE}
# The signed bytes are DSSE's pre-authentication encoding of the manifest:
#   "DSSEv1" SP len(type) SP type SP len(body) SP body
printf 'DSSEv1 ${typeLen} ${INTOTO_PAYLOAD_TYPE} %d ' "$(wc -c < ${MANIFEST_FILE})" > pae.bin
cat ${MANIFEST_FILE} >> pae.bin
sed -n 's/^ *"sig": "\\(.*\\)"$/\\1/p' ${ENVELOPE_FILE} | base64 -d > sig.bin
openssl pkeyutl -verify -pubin -inkey "$KEY" -rawin -in pae.bin -sigfile sig.bin
rm -f pae.bin sig.bin
\`\`\`

\`openssl\` prints \`Signature Verified Successfully\`; anything else means the manifest was changed
after signing or was signed with another key.

## 3. Check every file

The signed manifest lists the digest of ${SUMS_FILE}; ${SUMS_FILE} lists every other file.
\`sha256sum -c\` opens every path ${SUMS_FILE} names, so the third command first makes sure each
is a plain path inside this folder (it prints nothing when they all are; otherwise stop).

\`\`\`sh
sha256sum ${SUMS_FILE}
grep -A3 '"name": "${SUMS_FILE}"' ${MANIFEST_FILE} | grep sha256
grep -vE '^[0-9a-f]{64}  [A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$' ${SUMS_FILE}
sha256sum -c ${SUMS_FILE}
\`\`\`

The first two lines must show the same digest, the third command must print nothing, and every file
must be \`OK\`. Also compare the list of files in the folder with the manifest's \`subject\` names:
nothing may be missing or extra.

## 4. Trace a row to its raw record

Every event names the raw record it came from by hash (\`source.raw_sha256\`); the raw record's
text hashes to that value, unless the record carries \`"redacted"\`: then secrets (passwords, keys,
tokens) were replaced by \`<REDACTED>\` in the kept text, and the hash is that of the bytes as read.

\`\`\`sh
HASH=$(sed -n '1s/.*"raw_sha256":"\\([0-9a-f]*\\)".*/\\1/p' ${EVENTS_FILE})
grep -h "\\"sha256\\":\\"$HASH\\"" raw/*/records.jsonl | head -n 1
\`\`\`

## 5. Recompute the Merkle root (optional, Python 3)

The manifest's \`predicate.events.merkle_root\` is an RFC 6962 Merkle tree hash over the lines of
events.jsonl (leaf = SHA-256(0x00 || line without its line break), node = SHA-256(0x01 || left || right)),
so a sampled row can be proven to belong to the bundle.

\`\`\`sh
python3 - <<'PY'
import hashlib
def h(b): return hashlib.sha256(b).digest()
def mth(leaves):
    if not leaves: return hashlib.sha256(b"").digest()
    if len(leaves) == 1: return leaves[0]
    k = 1
    while k * 2 < len(leaves): k *= 2
    return h(b"\\x01" + mth(leaves[:k]) + mth(leaves[k:]))
with open("${EVENTS_FILE}", "rb") as f:
    leaves = [h(b"\\x00" + line.rstrip(b"\\n")) for line in f]
print(len(leaves), mth(leaves).hex())
PY
grep -A3 '"file": "${EVENTS_FILE}"' ${MANIFEST_FILE}
\`\`\`

## 6. Read the predicate

\`predicate.sources[]\` says how each source was read and whether it is \`complete\`, \`partial\`,
\`failed\` or \`empty\` (and why); \`records_read = events + rejects + skipped\` for each. With weekly
bundles, \`predicate.previous_bundle.manifest_sha256\` is the sha256 of the previous week's
${MANIFEST_FILE}: \`sha256sum\` it in the previous bundle to check the chain, and compare the periods
to see that no week is missing.
`;
}
