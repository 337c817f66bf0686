// "host:port" addresses of node-to-node listeners; an IPv6 host is written in brackets.
import { isIP } from 'node:net';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Throws an Error naming the address if it is not "host:port" with a port in 0..65535. */
export function parseHostPort(address: string): HostPort {
  const colon = address.lastIndexOf(':');
  const rawHost = address.slice(0, colon);
  const host = rawHost.startsWith('[') && rawHost.endsWith(']') ? rawHost.slice(1, -1) : rawHost;
  const port = Number(address.slice(colon + 1));
  if (colon === -1 || host.length === 0 || !/^[0-9]{1,5}$/.test(address.slice(colon + 1)) || port > 65535) {
    throw new Error(`not a "host:port" address: ${JSON.stringify(address)}`);
  }
  return { host, port };
}

export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
