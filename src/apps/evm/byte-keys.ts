// Bytes as JavaScript map keys: a latin1 string, one character per byte, which is cheap
// to make and compares like the bytes.

export function bytesKey(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export function keyBytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}
