import { z } from 'zod';
import { isLoopbackHost } from './transport.js';

/**
 * `http.listen`: where the health, metrics and status endpoints listen, as `host:port`
 * (`127.0.0.1:9464`, `[::1]:9464`, `0.0.0.0:9464`). No default host: the address says whether
 * the page, which names every organizer's events, is reachable from the network.
 */

export interface ListenAddress {
  /** As given, without the brackets of an IPv6 address. */
  host: string;
  /** 0 = a free port, said in the log (tests). */
  port: number;
  /** 127.0.0.0/8, ::1 or localhost: reachable from this machine only. */
  loopback: boolean;
}

export function parseListen(value: string): ListenAddress | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(value.trim());
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port > 65535) return undefined;
  const host = match[1] ?? match[2]!;
  return { host, port, loopback: isLoopbackHost(match[1] ? `[${host}]` : host) };
}

export const listenSchema = z
  .string()
  .refine((v) => parseListen(v) !== undefined, 'must be host:port, such as 127.0.0.1:9464 (or [::1]:9464)');
