// RFC 6962 (Certificate Transparency) Merkle tree hash over the bundle's events, computed
// incrementally in O(log n) memory: leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left ||
// right), and for n leaves the left subtree holds the largest power of two smaller than n
// (https://www.rfc-editor.org/rfc/rfc6962#section-2.1). The stack holds the roots of the perfect
// subtrees seen so far, one per set bit of the leaf count; adding a leaf merges equal-sized
// neighbours, and the root folds the stack from the right, which yields exactly RFC 6962's MTH.
import { createHash } from 'node:crypto';

export function leafHash(data: string | Uint8Array): Buffer {
  return createHash('sha256').update(Buffer.from([0])).update(data).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(Buffer.from([1])).update(left).update(right).digest();
}

export class MerkleBuilder {
  private stack: Array<{ size: number; hash: Buffer }> = [];
  private n = 0;

  get count(): number { return this.n; }

  /** Adds one leaf (the canonical event text, without its line break). */
  add(data: string | Uint8Array): void { this.addLeafHash(leafHash(data)); }

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
