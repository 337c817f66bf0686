// The one error every decryption in Coco throws when data was not sealed under the
// key given, or was altered since: callers treat it as "corrupt or wrong secret".
export class DecryptionError extends Error {
  override readonly name = 'DecryptionError';
}
