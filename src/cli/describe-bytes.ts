// How the CLI shows a key or value: JSON text as it is (the default codec writes
// JSON), anything else as hex, so binary data never garbles a terminal.
const JSON_TEXT = /^[\x20-\x7e\t\n\r\u00a0-\uffff]*$/;

export function describeBytes(bytes: Uint8Array): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = buffer.toString('utf8');
  if (JSON_TEXT.test(text) && Buffer.byteLength(text) === buffer.length) {
    try {
      JSON.parse(text);
      return text;
    } catch {
      // not JSON: shown as hex below
    }
  }
  return `0x${buffer.toString('hex')}`;
}
