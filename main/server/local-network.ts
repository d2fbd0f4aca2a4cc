// The names other machines on the local network reach this one by, for a server the person let
// onto the local network: the host name (and its .local mDNS form) and each IPv4 address of a
// network interface that is not the loopback. The Host and Origin checks accept exactly these
// (besides 127.0.0.1 and localhost), so DNS rebinding stays refused.
import { hostname, networkInterfaces } from 'node:os';

export function localNetworkHosts(): string[] {
  const name = hostname().toLowerCase();
  const names = name === '' ? [] : name.includes('.') ? [name] : [name, `${name}.local`];
  const addresses = Object.values(networkInterfaces())
    .flatMap((entries) => entries ?? [])
    .filter((entry) => entry.family === 'IPv4' && !entry.internal)
    .map((entry) => entry.address);
  return [...new Set([...names, ...addresses])];
}
