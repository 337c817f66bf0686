// The curl commands the sandbox prints: they must work pasted exactly as printed, so
// every argument is quoted for a POSIX shell and file paths are as the user would type them.

export interface CurlFiles {
  readonly serviceCertificate: string;
  readonly certificate: string;
  readonly privateKey: string;
}

export function curlCommand(url: string, files: CurlFiles, jsonBody?: string): string {
  const body = jsonBody === undefined ? [] : ['-H', 'content-type: application/json', '-d', jsonBody];
  const tls = ['--cacert', files.serviceCertificate, '--cert', files.certificate, '--key', files.privateKey];
  return ['curl', url, ...body, ...tls].map(shellQuote).join(' ');
}

/** Leaves plain words bare; single-quotes anything else (a `'` becomes `'\''`). */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
