import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { parseListen } from '../../src/config/listen.js';
import { ConfigError } from '../../src/domain/errors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const K8S = path.join(ROOT, 'deploy/kubernetes');
const read = (file: string) => readFileSync(path.join(K8S, file), 'utf8');

/** A manifest as parsed: checked by shape, key by key. */
type Doc = Record<string, any>;
const docs = (file: string): Doc[] => parseAllDocuments(read(file)).map((d) => d.toJS() as Doc);

const deployment = docs('deployment.yaml')[0]!;
const service = docs('service.yaml')[0]!;
const secrets = docs('secret.example.yaml');
const kustomization = parse(read('kustomization.yaml')) as Doc;
const configText = read('config.yaml');
const pod = deployment.spec.template.spec;
const container = pod.containers[0];
const envOf = (name: string) => (container.env as Doc[]).find((e) => e.name === name);
/** What the pod's environment holds: the keys of the Secrets it loads whole, and each variable it takes from a Secret's key. */
const secretEnv = Object.fromEntries([
  ...secrets.filter((s) => (container.envFrom as Doc[]).some((f) => f.secretRef?.name === s.metadata.name)).flatMap((s) => Object.keys(s.stringData ?? {}).map((k) => [k, 'from-the-secret'])),
  ...(container.env as Doc[]).filter((e) => e.valueFrom?.secretKeyRef).map((e) => {
    const ref = e.valueFrom.secretKeyRef as { name: string; key: string };
    return [e.name, secrets.find((s) => s.metadata.name === ref.name)?.stringData?.[ref.key]];
  }),
]);
const config = () => parseConfig(configText, secretEnv, '/etc/meetsync', 'config.yaml');

describe('deploy/kubernetes', () => {
  it('is a Deployment of N replicas behind a headless Service: no StatefulSet, nothing per pod', () => {
    expect(deployment.kind).toBe('Deployment');
    expect(deployment.spec.replicas).toBeGreaterThan(1);
    expect(service).toMatchObject({ kind: 'Service', spec: { clusterIP: 'None' } });
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
    expect(kustomization.resources).toEqual(['service.yaml', 'deployment.yaml']);
    expect(deployment.spec.volumeClaimTemplates).toBeUndefined();
    expect((pod.volumes as Doc[]).some((v) => v.persistentVolumeClaim)).toBe(false);
    // A rolling update never takes a replica away before its successor runs; they share the calendars meanwhile.
    expect(deployment.spec.strategy).toMatchObject({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0 } });
  });

  it('runs every replica on one PostgreSQL database whose URL comes from a Secret', () => {
    // The config names the variable; the value is nowhere in the ConfigMap.
    expect(configText).toMatch(/^database: "\$\{MEETSYNC_DATABASE_URL\}"$/m);
    expect(envOf('MEETSYNC_DATABASE_URL')?.valueFrom?.secretKeyRef).toEqual({ name: 'meetsync-database', key: 'url' });
    const database = secrets.find((s) => s.metadata.name === 'meetsync-database');
    expect(database?.stringData?.url).toMatch(/^postgres:\/\//);
    expect(config().database).toBe(database!.stringData.url);
    expect(config().replicas.leaseSeconds).toBeGreaterThan(0);
    // Without the variable, the pod stops with a config error instead of opening something else.
    expect(() => parseConfig(configText, { ...secretEnv, MEETSYNC_DATABASE_URL: undefined }, '/etc/meetsync', 'config.yaml')).toThrow(ConfigError);
    // No shard, no host name ordinal: the retired StatefulSet's wiring is gone.
    expect(configText).not.toMatch(/^shard:/m);
    expect(envOf('HOSTNAME')).toBeUndefined();
  });

  it('mounts the config from the generated ConfigMap and every secret the config names from a Secret', () => {
    const generated = (kustomization.configMapGenerator as Doc[]).find((g) => g.files.includes('meetsync.yaml=config.yaml'));
    const volume = (pod.volumes as Doc[]).find((v) => v.configMap?.name === generated?.name);
    expect(volume).toBeDefined();
    const mount = (container.volumeMounts as Doc[]).find((m) => m.name === volume!.name);
    const configPath = envOf('MEETSYNC_CONFIG')?.value as string;
    // A single file (subPath): the hashed ConfigMap name rolls the pods on a change, which subPath mounts need.
    expect(mount).toMatchObject({ mountPath: configPath, subPath: 'meetsync.yaml', readOnly: true });
    expect(container.envFrom).toEqual([{ secretRef: { name: 'meetsync-secrets' } }]);
    const values = configText.split('\n').filter((l) => !l.trim().startsWith('#')).join('\n');
    const named = [...values.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]);
    expect(new Set(named)).toEqual(new Set(Object.keys(secretEnv)));
    // No secret value in the manifests themselves.
    expect(JSON.stringify(deployment)).not.toMatch(/secret"?\s*:\s*"[^$]/i);
    expect(JSON.stringify(deployment)).not.toMatch(/postgres:\/\//);
  });

  it('runs as a non-root user on a read-only root filesystem without privileges', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(pod.automountServiceAccountToken).toBe(false);
    // Node's temporary files need a writable /tmp.
    const tmp = (container.volumeMounts as Doc[]).find((m) => m.mountPath === '/tmp');
    expect((pod.volumes as Doc[]).find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
  });

  it('probes readiness on /healthz at the port http.listen opens, and asks for memory above the idle RSS', () => {
    const listen = config().http?.listen;
    expect(listen).toBeDefined();
    const port = (container.ports as Doc[]).find((p) => p.name === container.readinessProbe.httpGet.port);
    expect(port?.containerPort).toBe(parseListen(listen!)!.port);
    expect(container.readinessProbe.httpGet.path).toBe('/healthz');
    expect(container.livenessProbe.httpGet.port).toBe(port?.name);
    const mib = (q: string) => Number(/^(\d+)Mi$/.exec(q)?.[1]);
    // Idle RSS is 70-90 MB: the request covers it, the limit leaves room for a cycle.
    expect(mib(container.resources.requests.memory)).toBeGreaterThanOrEqual(96);
    expect(mib(container.resources.limits.memory)).toBeGreaterThan(mib(container.resources.requests.memory));
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(60);
  });

  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  it.runIf(kubectl.status === 0)('renders with kubectl kustomize: the ConfigMap gets a content hash and the Deployment points at it', () => {
    const out = spawnSync('kubectl', ['kustomize', K8S], { encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(0);
    const rendered = parseAllDocuments(out.stdout).map((d) => d.toJS() as Doc);
    const configMap = rendered.find((d) => d.kind === 'ConfigMap')!;
    expect(configMap.metadata.name).toMatch(/^meetsync-config-[a-z0-9]+$/);
    expect(rendered.some((d) => d.kind === 'StatefulSet')).toBe(false);
    const sts = rendered.find((d) => d.kind === 'Deployment')!;
    expect((sts.spec.template.spec.volumes as Doc[]).some((v) => v.configMap?.name === configMap.metadata.name)).toBe(true);
  });
});

describe('deploy/Dockerfile', () => {
  const text = readFileSync(path.join(ROOT, 'deploy/Dockerfile'), 'utf8');
  const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  const instructions = (name: string) => lines.filter((l) => l.startsWith(`${name} `));

  it('builds in stages on node:20-slim: tsc with the dev dependencies, then production dependencies only', () => {
    expect(instructions('FROM').length).toBeGreaterThanOrEqual(2);
    expect(instructions('FROM').every((l) => l.startsWith('FROM node:20-slim'))).toBe(true);
    expect(text).toMatch(/npx tsc -b tsconfig\.json/);
    expect(text).toMatch(/npm ci --omit=dev/);
    expect(instructions('COPY').some((l) => /COPY migrations/.test(l))).toBe(true);
  });

  it('copies into the build stage every project tsc -b builds (the root tsconfig.json and the ones it references)', () => {
    const root = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8')) as { references?: Array<{ path: string }> };
    const projects = ['tsconfig.json', ...(root.references ?? []).map((r) => path.posix.join(r.path, 'tsconfig.json'))];
    expect(projects).toContain('src/simulators/tsconfig.json');
    const build = text.slice(0, text.indexOf('RUN npx tsc'));
    const copied = [...build.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(' '));
    for (const project of projects) expect(copied.some((c) => project === c || project.startsWith(`${c.replace(/\/$/, '')}/`)), project).toBe(true);
  });

  it('runs meetsync run as a non-root user, with the config from a mounted file', () => {
    const user = instructions('USER').at(-1);
    expect(user).toMatch(/^USER [1-9]\d*(:\d+)?$/);
    expect(instructions('ENTRYPOINT').at(-1)).toBe('ENTRYPOINT ["node", "/app/dist/src/bin.js"]');
    expect(instructions('CMD').at(-1)).toBe('CMD ["run"]');
    expect(text).toMatch(/MEETSYNC_CONFIG=\/etc\/meetsync\/meetsync\.yaml/);
    // Secrets come from the environment at run time, never baked into the image.
    expect(text).not.toMatch(/(API_KEY|SECRET)\s*=/);
  });
});
