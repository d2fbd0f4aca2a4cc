import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname, networkInterfaces } from 'node:os';
import { localNetworkHosts } from './local-network.ts';

test("the local network's names are the host name and the non-loopback IPv4 addresses", () => {
  const hosts = localNetworkHosts();
  assert.ok(hosts.includes(hostname().toLowerCase()), hosts.join(', '));
  assert.ok(!hosts.includes('127.0.0.1') && !hosts.includes('localhost'), 'the loopback names are always accepted anyway, not listed as network names');
  const external = Object.values(networkInterfaces()).flatMap((e) => e ?? []).filter((e) => e.family === 'IPv4' && !e.internal).map((e) => e.address);
  for (const address of external) assert.ok(hosts.includes(address), address);
  assert.equal(new Set(hosts).size, hosts.length);
});
