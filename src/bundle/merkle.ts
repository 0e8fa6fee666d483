// RFC 6962 (Certificate Transparency) Merkle tree hash over the bundle's events, computed
// incrementally in O(log n) memory: leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left ||
// right), and for n leaves the left subtree holds the largest power of two smaller than n
// (https://www.rfc-editor.org/rfc/rfc6962#section-2.1). The stack holds the roots of the perfect
// subtrees seen so far, one per set bit of the leaf count; adding a leaf merges equal-sized
// neighbours, and the root folds the stack from the right, which yields exactly RFC 6962's MTH.
import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';

// crypto.hash (Node >= 20.12) hashes in one call without a Hash object: a collect or verify hashes
// about two Merkle inputs per event, and the Hash object set-up was most of their cost. Older Node
// 20 releases fall back to createHash.
const oneShot = (crypto as { hash?: (alg: string, data: string | Uint8Array, enc: 'buffer') => Buffer }).hash;
const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);

export function leafHash(data: string | Uint8Array): Buffer {
  // '\0' + text encodes as the byte 0x00 followed by the text's UTF-8 bytes.
  if (oneShot !== undefined)
    return oneShot('sha256', typeof data === 'string' ? `\0${data}` : Buffer.concat([LEAF, data]), 'buffer');
  return createHash('sha256').update(LEAF).update(data).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (oneShot !== undefined && left.length === 32 && right.length === 32) {
    const b = Buffer.allocUnsafe(65);
    b[0] = 1;
    b.set(left, 1);
    b.set(right, 33);
    return oneShot('sha256', b, 'buffer');
  }
  return createHash('sha256').update(NODE).update(left).update(right).digest();
}

export class MerkleBuilder {
  private stack: Array<{ size: number; hash: Buffer }> = [];
  private n = 0;

  get count(): number {
    return this.n;
  }

  /** Adds one leaf (the canonical event text, without its line break). */
  add(data: string | Uint8Array): void {
    this.addLeafHash(leafHash(data));
  }

  /**
   * Adds one leaf per line of `buf`, a batch of whole lines each ending with '\n' (the leaf is the
   * line without it), as collect encodes them for events.jsonl: the line's bytes are hashed where
   * they are, instead of encoding each line's text a second time. The byte before a line (the
   * previous line's '\n') is briefly set to 0x00 to make the leaf prefix, and restored.
   */
  addLines(buf: Buffer): void {
    let start = 0;
    while (start < buf.length) {
      const nl = buf.indexOf(10, start);
      if (nl === -1) throw new Error('a batch of lines must end with a line break');
      if (start === 0 || oneShot === undefined) this.addLeafHash(leafHash(buf.subarray(start, nl)));
      else {
        const saved = buf[start - 1];
        buf[start - 1] = 0;
        try {
          this.addLeafHash(oneShot('sha256', buf.subarray(start - 1, nl), 'buffer'));
        } finally {
          buf[start - 1] = saved;
        }
      }
      start = nl + 1;
    }
  }

  addLeafHash(hash: Buffer): void {
    this.n++;
    let top = { size: 1, hash };
    while (this.stack.length && this.stack[this.stack.length - 1].size === top.size) {
      const left = this.stack.pop()!;
      top = { size: left.size * 2, hash: nodeHash(left.hash, top.hash) };
    }
    this.stack.push(top);
  }

  /** The tree head, hex. The empty tree's hash is SHA-256 of the empty string, as RFC 6962 says. */
  root(): string {
    if (this.stack.length === 0) return createHash('sha256').digest('hex');
    let acc = this.stack[this.stack.length - 1].hash;
    for (let i = this.stack.length - 2; i >= 0; i--) acc = nodeHash(this.stack[i].hash, acc);
    return acc.toString('hex');
  }
}

/** The textbook recursive definition, for tests: MTH(D[n]) per RFC 6962 section 2.1. */
export function merkleRootRecursive(leaves: Array<string | Uint8Array>): string {
  const mth = (xs: Array<string | Uint8Array>): Buffer => {
    if (xs.length === 1) return leafHash(xs[0]);
    let k = 1;
    while (k * 2 < xs.length) k *= 2;
    return nodeHash(mth(xs.slice(0, k)), mth(xs.slice(k)));
  };
  return leaves.length === 0 ? createHash('sha256').digest('hex') : mth(leaves).toString('hex');
}
