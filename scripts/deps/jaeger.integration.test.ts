import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { depsStateDir } from './paths.ts';
import { readPid } from './processes.ts';

/** The listening TCP sockets and bound UDP sockets of process `pid`, as "address:port" (from /proc). */
function listeningAddresses(pid: number): string[] {
  const inodes = new Set(
    readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      const target = (() => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          return '';
        }
      })();
      return /^socket:\[(\d+)\]$/.exec(target)?.slice(1) ?? [];
    }),
  );
  const found: string[] = [];
  for (const table of ['tcp', 'tcp6', 'udp', 'udp6']) {
    const rows = readFileSync(`/proc/${pid}/net/${table}`, 'utf8').trim().split('\n').slice(1);
    for (const row of rows) {
      const [, local, , state, , , , , , inode] = row.trim().split(/\s+/);
      const listening = table.startsWith('udp') || state === '0A'; // 0A: LISTEN
      if (listening && inodes.has(inode!)) found.push(decodeAddress(local!));
    }
  }
  return found;
}

/** /proc/net's hex "0100007F:1F90" (IPv4 little-endian) or 32-hex-digit IPv6 form. */
function decodeAddress(hex: string): string {
  const [address, port] = hex.split(':') as [string, string];
  const ip =
    address.length === 8
      ? (address.match(/../g) ?? [])
          .reverse()
          .map((b) => Number.parseInt(b, 16))
          .join('.')
      : `[${address}]`;
  return `${ip}:${Number.parseInt(port, 16)}`;
}

describe('the local Jaeger', () => {
  const pid = readPid(join(depsStateDir, 'jaeger', 'jaeger.pid'));
  const ours = !process.env.JAEGER_QUERY_URL;

  (ours ? it : it.skip)('listens on loopback only: OTLP gRPC and HTTP, query HTTP and gRPC, health', () => {
    expect(pid).toBeDefined();
    const addresses = listeningAddresses(pid!);
    expect(addresses).toHaveLength(5);
    for (const address of addresses) expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
  });
});
