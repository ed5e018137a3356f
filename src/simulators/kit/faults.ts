
/**
 * Fault campaigns: a share of the requests a simulator receives fail, drawn from a seeded
 * pseudo-random sequence so that a failing run can be replayed with the same seed. The kinds are
 * named here once for every simulator; each simulator family says how its provider answers each
 * one on the wire (google/faults.ts, graph/faults.ts, webmeeting/faults.ts), and which kinds its
 * provider never answers to a given request (Google's 403 rateLimitExceeded on the Web Meeting
 * platform, a 410 for a read that carries no sync token).
 */

/** How a simulator misbehaves for one request. */
export type FaultKind =
  /** Answer with this status (and body); 429 and 503 may carry Retry-After (seconds). */
  | { kind: 'status'; status: number; retryAfterSeconds?: number; body?: unknown; headers?: Record<string, string> }
  /** Wait before handling the request normally. */
  | { kind: 'delay'; ms: number }
  /** Destroy the socket without answering (the request has no effect). */
  | { kind: 'drop' }
  /** Handle the request (it takes effect), then destroy the socket instead of answering: a lost answer. */
  | { kind: 'lose-answer' }
  /**
   * Never answer (the request has no effect): the connection stays open, silent, until the client
   * closes it or the simulator stops. A server that accepted the connection and stalled.
   */
  | { kind: 'hang' }
  /**
   * Handle the request (it takes effect), send the status, the headers (with the full
   * content-length) and the first half of the body, then nothing more, as 'hang'.
   */
  | { kind: 'stall-body' }
  /**
   * Handle the request (it takes effect), then answer its status (200 for a 204) with the first
   * half of the body only, as a complete answer: JSON that does not parse, a feed cut short.
   */
  | { kind: 'malformed' };

export const FAULT_NAMES = [
  /** HTTP 500 in the provider's error envelope. */
  'server-error',
  /** HTTP 503 in the provider's error envelope (with Retry-After where the provider sends one). */
  'unavailable',
  /** HTTP 429 with Retry-After. */
  'throttled',
  /** Google's 403 rateLimitExceeded (guides/errors); no other provider answers it. */
  'rate-limited',
  /** HTTP 410: Google's fullSyncRequired for a sync token, Graph's expired delta token. Reads with a token only. */
  'sync-gone',
  /** No answer at all until the client gives up (its deadline); the request has no effect. */
  'timeout',
  /** The connection is destroyed before any answer; the request has no effect. */
  'drop',
  /** The request takes effect; the answer is a 2xx whose JSON (or feed) body is cut in half. */
  'malformed',
  /** The request takes effect, then the connection is destroyed instead of answering. */
  'lost-answer',
] as const;

export type FaultName = (typeof FAULT_NAMES)[number];

export interface FaultCampaign {
  /** Share of requests that fail, in [0, 1]. */
  rate: number;
  /** Seed of the pseudo-random sequence: the same seed and the same requests give the same faults. */
  seed: number;
  /** Kinds to draw from (default all); a kind the provider never answers to a request is left out for it. */
  kinds?: readonly FaultName[];
  /** Retry-After of 429 and 503 answers, in seconds. @default 1 */
  retryAfterSeconds?: number;
}

/** What a fault is chosen for. */
export interface FaultTarget {
  /** Scheme, host and port the simulator serves. */
  origin: string;
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
}

/** How one provider answers the fault `name` to `target`; undefined when it never would. */
export type FaultWire = (name: FaultName, target: FaultTarget, retryAfterSeconds: number) => FaultKind | undefined;

/** A fault that was drawn, for the run's summary. */
export interface DrawnFault {
  method: string;
  path: string;
  name: FaultName;
}

/** mulberry32: a small, fast, well-distributed 32-bit PRNG; enough to replay a campaign. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The failures of the transport, the same whatever the provider. */
export function transportFault(name: FaultName): FaultKind | undefined {
  switch (name) {
    case 'timeout':
      return { kind: 'hang' };
    case 'drop':
      return { kind: 'drop' };
    case 'malformed':
      return { kind: 'malformed' };
    case 'lost-answer':
      return { kind: 'lose-answer' };
    default:
      return undefined;
  }
}

/** Draws the faults of one simulator's campaign, request by request. */
export class FaultDice {
  readonly drawn: DrawnFault[] = [];
  private readonly random: () => number;
  private readonly kinds: readonly FaultName[];

  constructor(
    readonly campaign: FaultCampaign,
    private readonly wire: FaultWire,
  ) {
    if (!(campaign.rate >= 0 && campaign.rate <= 1)) throw new Error(`fault rate must be in [0, 1], got ${campaign.rate}`);
    if (!Number.isInteger(campaign.seed)) throw new Error(`fault seed must be an integer, got ${campaign.seed}`);
    const unknown = (campaign.kinds ?? []).filter((k) => !FAULT_NAMES.includes(k));
    if (unknown.length > 0) throw new Error(`unknown fault kind(s) ${unknown.join(', ')}; known: ${FAULT_NAMES.join(', ')}`);
    this.random = seededRandom(campaign.seed);
    this.kinds = campaign.kinds ?? FAULT_NAMES;
  }

  draw(target: FaultTarget): FaultKind | undefined {
    if (this.random() >= this.campaign.rate) return undefined;
    const retryAfter = this.campaign.retryAfterSeconds ?? 1;
    const candidates = this.kinds.flatMap((name) => {
      const kind = this.wire(name, target, retryAfter);
      return kind ? [{ name, kind }] : [];
    });
    // Each kind that applies comes up once before any comes up twice, so a short campaign still
    // tries them all. Drawn even when nothing applies, so the sequence does not depend on which kinds apply.
    const fresh = candidates.filter((c) => !this.drawn.some((d) => d.name === c.name));
    const pool = fresh.length > 0 ? fresh : candidates;
    const pick = pool[Math.floor(this.random() * pool.length)];
    if (!pick) return undefined;
    this.drawn.push({ method: target.method, path: target.path, name: pick.name });
    return pick.kind;
  }
}
