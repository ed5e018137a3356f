import { fail, ok, skip, type Check } from './check.js';

/**
 * Does an endpoint answer, and does its TLS certificate verify? One GET of the origin, without
 * any credential (the answer's status does not matter: any HTTP answer proves the way there),
 * through the same fetch and trust store (Node's CAs plus NODE_EXTRA_CA_CERTS) the clients use.
 */

export interface EndpointResult {
  checks: Check[];
  /** True when an HTTP answer came, over verified TLS (or plain http on loopback). */
  usable: boolean;
  /** The answer's Date header, and when it arrived: the clock check compares them. */
  date?: { serverMs: number; localMs: number };
}

/** undici's TLS failures, with what to do about each. */
export const TLS_CODES: Record<string, { what: string; remedy: string }> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: {
    what: 'the certificate is self-signed',
    remedy: 'give the server a certificate from a trusted CA, or point NODE_EXTRA_CA_CERTS at a PEM file holding this certificate',
  },
  SELF_SIGNED_CERT_IN_CHAIN: {
    what: 'the certificate is signed by a CA this machine does not trust',
    remedy: "point NODE_EXTRA_CA_CERTS at a PEM file with that CA (your company's CA, or .meetsync-sim/ca.pem for the simulators); in the service, Environment=NODE_EXTRA_CA_CERTS=... in the unit",
  },
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: {
    what: 'the certificate is signed by a CA this machine does not trust',
    remedy: "point NODE_EXTRA_CA_CERTS at a PEM file with that CA (your company's CA, or .meetsync-sim/ca.pem for the simulators); in the service, Environment=NODE_EXTRA_CA_CERTS=... in the unit",
  },
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: {
    what: 'the certificate is signed by a CA this machine does not trust',
    remedy: "point NODE_EXTRA_CA_CERTS at a PEM file with that CA (a TLS-inspecting proxy's CA, if there is one); in the service, Environment=NODE_EXTRA_CA_CERTS=... in the unit",
  },
  UNABLE_TO_GET_ISSUER_CERT: {
    what: 'the server does not send its intermediate certificates',
    remedy: "ask the server's operator to send the full chain, or add the intermediate to the file NODE_EXTRA_CA_CERTS points at",
  },
  CERT_HAS_EXPIRED: { what: 'the certificate has expired', remedy: "ask the server's operator to renew it; if the date looks wrong, check this machine's clock" },
  CERT_NOT_YET_VALID: { what: 'the certificate is not valid yet', remedy: "check this machine's clock (timedatectl; enable NTP)" },
  ERR_TLS_CERT_ALTNAME_INVALID: {
    what: 'the certificate is for another host name',
    remedy: 'use the host name the certificate names in the URL, or fix the certificate',
  },
};

export const NET_CODES: Record<string, string> = {
  ECONNREFUSED: 'nothing is listening there',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved (DNS)',
  ECONNRESET: 'the connection was reset',
  EHOSTUNREACH: 'the host cannot be reached',
  ENETUNREACH: 'the network cannot be reached',
  ETIMEDOUT: 'the connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  UND_ERR_SOCKET: 'the connection was closed before an answer came',
};

export function codeOf(err: unknown): string | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/**
 * `subject` names the target in the lines (`Web Meeting platform`), `what` the endpoint
 * (`https://meet.example.com`), `key` the config key that sets it, for the remedy.
 */
export async function checkEndpoint(subject: string, url: string, key: string, timeoutMs: number): Promise<EndpointResult> {
  const origin = new URL(url).origin;
  const tlsUsed = origin.startsWith('https:');
  try {
    const res = await fetch(`${origin}/`, { method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    const localMs = Date.now();
    await res.body?.cancel().catch(() => undefined);
    const serverMs = Date.parse(res.headers.get('date') ?? '');
    return {
      usable: true,
      checks: [
        ok(subject, `${origin} answers (HTTP ${res.status})`),
        ok(subject, tlsUsed ? `${origin}: TLS certificate verifies` : `${origin}: plain http on this machine (loopback), no TLS needed`),
      ],
      ...(Number.isNaN(serverMs) ? {} : { date: { serverMs, localMs } }),
    };
  } catch (err) {
    const code = codeOf(err);
    const tls = code ? TLS_CODES[code] : undefined;
    if (tls) {
      return {
        usable: false,
        checks: [ok(subject, `${origin} answers`), fail(subject, `${origin}: TLS does not verify: ${tls.what} (${code})`, tls.remedy)],
      };
    }
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    const why = timedOut ? `no answer within ${Math.round(timeoutMs / 1000)} s` : `${(code && NET_CODES[code]) ?? 'no answer'}${code ? ` (${code})` : ''}`;
    return {
      usable: false,
      checks: [
        fail(subject, `${origin} does not answer: ${why}`, `check ${key} and that the service is up and reachable from this machine (firewall, DNS, proxy)`),
        skip(subject, `${origin}: TLS not checked (no connection)`),
      ],
    };
  }
}
