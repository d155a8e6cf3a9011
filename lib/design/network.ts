/**
 * IPv4 ranges as the design and every cloud's construct props take them. One rule, so a value the
 * GCP endpoint accepts is one the Azure endpoint accepts too.
 */

const OCTETS = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/;

function parse(value: string): { octets: number[]; prefix?: number } | undefined {
  const m = OCTETS.exec(value);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  // No leading zeros: '010.0.0.1' is octal to some parsers and decimal to others.
  if (m.slice(1, 5).some((o) => o.length > 1 && o.startsWith('0')) || octets.some((o) => o > 255)) return undefined;
  const prefix = m[5] === undefined ? undefined : Number(m[5]);
  if (prefix !== undefined && prefix > 32) return undefined;
  return { octets, prefix };
}

/** `a.b.c.d/n`: an IPv4 network with its prefix length (a subnet's range). */
export function isIpv4Cidr(value: string): boolean {
  return parse(value)?.prefix !== undefined;
}

/** An IPv4 address or `a.b.c.d/n` network (a firewall or security rule's source). */
export function isIpv4Range(value: string): boolean {
  return parse(value) !== undefined;
}
