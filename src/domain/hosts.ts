// Host names, IP addresses and login names: what an SSH endpoint or a published port may be. Apart from
// validate.ts so that code checking other input (`cac up --image`) does not load node:net.
import { isIP } from 'node:net';

const HOST_LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

/** True for an IPv4 or IPv6 address (what docker publishes a port on). */
export function isIpAddress(text: string): boolean {
  return isIP(text) !== 0;
}

/** True for a DNS host name or an IP address: what an SSH endpoint's host may be (never an ssh option or a control character). */
export function isHostName(host: string): boolean {
  if (isIP(host) !== 0) return true;
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  return name.length > 0 && name.length <= 253 && name.split('.').every((label) => HOST_LABEL.test(label));
}

/** True for a login name as useradd allows it (letters, digits, . _ -, not starting with - or .; a trailing $; at most 32). */
export function isLoginName(user: string): boolean {
  return user.length <= 32 && /^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/.test(user);
}
