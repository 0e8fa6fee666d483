// CRC-32 (ISO-HDLC, the zip checksum), incremental. zlib.crc32 (Node >= 20.15) runs native code; the
// JavaScript table fallback is for older Node 20 releases. yazl's JavaScript CRC was ~4% of a
// 100,000-event collect profile.
import * as zlib from 'node:zlib';

const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

let table: Int32Array | null = null;
function jsCrc32(data: Uint8Array, value: number): number {
  if (!table) {
    table = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c;
    }
  }
  let c = ~value;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** The CRC-32 of `data` continuing from `value` (0 to start), as an unsigned 32-bit number. */
export function crc32(data: Uint8Array, value = 0): number {
  return native !== undefined ? native(data, value) >>> 0 : jsCrc32(data, value);
}

export { jsCrc32 as crc32Portable };
