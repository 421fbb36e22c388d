import { afterEach, describe, expect, it } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { resolveKubeconfig, runExecPlugin } from '../../src/cluster/kubeconfig.js';
import { KubeClient } from '../../src/cluster/kube-client.js';
import { ClusterError } from '../../src/errors.js';
import { MisbehavingServer, startMisbehavingServer } from '../support/misbehaving-server.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'vd-kc-'));
const emptyHome = tmp();

function write(dir: string, files: Record<string, string>): Record<string, string> {
  const paths: Record<string, string> = {};
  for (const [name, text] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
    paths[name] = path;
  }
  return paths;
}

const config = (o: { current?: string; clusters?: [string, string][]; contexts?: [string, string, string?, string?][]; users?: string[] }) => [
  'apiVersion: v1', 'kind: Config',
  ...(o.current ? [`current-context: ${o.current}`] : []),
  'clusters:', ...(o.clusters ?? []).flatMap(([name, server]) => [`- name: ${name}`, '  cluster:', `    server: ${server}`]),
  'contexts:', ...(o.contexts ?? []).flatMap(([name, cluster, namespace, user]) => [
    `- name: ${name}`, '  context:', `    cluster: ${cluster}`, ...(namespace ? [`    namespace: ${namespace}`] : []), ...(user ? [`    user: ${user}`] : []),
  ]),
  'users:', ...(o.users ?? []).flatMap((name) => [`- name: ${name}`, '  user:', '    token: t']),
].join('\n');

/** What kubectl picks: context, server and namespace of `kubectl config view --minify`. */
function kubectlPick(kubeconfigEnv: string | undefined, args: string[] = []) {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: emptyHome };
  if (kubeconfigEnv !== undefined) env.KUBECONFIG = kubeconfigEnv;
  const r = spawnSync('kubectl', ['config', 'view', '--minify', '-o', 'json', ...args], { encoding: 'utf8', env });
  if (r.status !== 0) return { error: r.stderr.trim() };
  const cfg = JSON.parse(r.stdout);
  return { context: cfg['current-context'], server: cfg.clusters[0].cluster.server, namespace: cfg.contexts[0].context.namespace ?? 'default' };
}

function ourPick(kubeconfigEnv: string | undefined, options: { context?: string; kubeconfig?: string } = {}) {
  try {
    const r = resolveKubeconfig({ ...options, env: kubeconfigEnv === undefined ? {} : { KUBECONFIG: kubeconfigEnv }, home: emptyHome, serviceAccountDir: join(emptyHome, 'none') });
    return { context: r.contextName, server: r.server, namespace: r.namespace };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

const list = (...files: string[]) => files.join(delimiter);

describe('multi-file KUBECONFIG, side by side with kubectl', () => {
  const dir = tmp();
  const f = write(dir, {
    'a.yaml': config({ clusters: [['c1', 'https://a.example:6443'], ['only-a', 'https://only-a.example']], contexts: [['x', 'c1', 'from-a', 'u'], ['plain', 'only-a']], users: ['u'] }),
    'b.yaml': config({ current: 'x', clusters: [['c1', 'https://b.example:6443'], ['only-b', 'https://only-b.example']], contexts: [['x', 'c1', 'from-b'], ['bee', 'only-b', 'bee-ns']] }),
    'c.yaml': config({ current: 'bee', clusters: [['c1', 'https://c.example']], contexts: [['x', 'only-a', 'from-c']] }),
    'empty.yaml': '',
  });
  const missing = join(dir, 'missing.yaml');
  const cases: [string, string, { context?: string }?][] = [
    ['the first file that sets current-context wins; the first definition of each name wins', list(f['a.yaml'], f['b.yaml'], f['c.yaml'])],
    ['reversed order', list(f['c.yaml'], f['b.yaml'], f['a.yaml'])],
    ['missing and empty entries are skipped', `${missing}${delimiter}${delimiter}${f['empty.yaml']}${delimiter}${f['b.yaml']}${delimiter}${f['a.yaml']}`],
    ['--context picks a context defined only in a later file', list(f['a.yaml'], f['b.yaml']), { context: 'bee' }],
    ['--context picks a context without a namespace', list(f['a.yaml'], f['b.yaml']), { context: 'plain' }],
    ['a context whose cluster is defined in another file', list(f['c.yaml'], f['a.yaml']), { context: 'x' }],
    ['one file', f['b.yaml']],
  ];
  for (const [name, env, options] of cases) {
    it(name, () => {
      const theirs = kubectlPick(env, options?.context ? ['--context', options.context] : []);
      expect(theirs).not.toHaveProperty('error');
      expect(ourPick(env, options)).toEqual(theirs);
    });
  }

  it('--kubeconfig uses only that file, even with KUBECONFIG set', () => {
    const theirs = kubectlPick(list(f['c.yaml'], f['a.yaml']), ['--kubeconfig', f['b.yaml']]);
    expect(ourPick(list(f['c.yaml'], f['a.yaml']), { kubeconfig: f['b.yaml'] })).toEqual(theirs);
    expect(theirs).toMatchObject({ server: 'https://b.example:6443', namespace: 'from-b' });
  });

  it('--kubeconfig with a missing file is an error, as in kubectl', () => {
    expect(kubectlPick(undefined, ['--kubeconfig', missing])).toHaveProperty('error');
    expect(ourPick(undefined, { kubeconfig: missing })).toEqual({ error: `cannot read kubeconfig ${missing}: no such file` });
  });

  it('a name defined twice in one file is an error, as in kubectl', () => {
    const d = write(tmp(), { dup: config({ current: 'x', clusters: [['c1', 'https://one'], ['c1', 'https://two']], contexts: [['x', 'c1']] }) });
    expect(kubectlPick(d.dup)).toHaveProperty('error');
    expect(ourPick(d.dup).error).toContain('clusters has "c1" twice');
  });

  it('no current-context: an error that says to pass --context and lists the contexts', () => {
    expect(kubectlPick(f['a.yaml'])).toHaveProperty('error');
    expect(ourPick(f['a.yaml']).error).toBe(`the kubeconfig (${f['a.yaml']}) sets no current-context; pass --context (contexts: x, plain)`);
  });

  it('an unknown --context lists the contexts', () => {
    expect(ourPick(list(f['a.yaml'], f['b.yaml']), { context: 'nope' }).error).toBe('context "nope" does not exist in the kubeconfig (contexts: x, plain, bee)');
  });
});

describe('relative paths resolve against the file that defines the entry, as in kubectl', () => {
  it('certificate-authority, client-certificate and client-key: the bytes kubectl --flatten embeds', () => {
    const top = tmp();
    const sub = join(top, 'sub');
    write(sub, { 'pki/ca.crt': 'CA BYTES\n', 'pki/user.crt': 'CERT BYTES\n', 'user.key': 'KEY BYTES\n' });
    write(top, { 'pki/ca.crt': 'WRONG CA\n' });
    const f = write(sub, {
      config: [
        'apiVersion: v1', 'kind: Config', 'current-context: x',
        'clusters:', '- name: c', '  cluster:', '    server: https://k.example', '    certificate-authority: pki/ca.crt',
        'contexts:', '- name: x', '  context:', '    cluster: c', '    user: u',
        'users:', '- name: u', '  user:', '    client-certificate: pki/user.crt', '    client-key: user.key', '    tokenFile: tok',
        '    exec:', '      apiVersion: client.authentication.k8s.io/v1', '      command: ./bin/plugin', '      interactiveMode: Never',
      ].join('\n'),
    });
    const other = write(top, { 'first.yaml': config({ clusters: [['unrelated', 'https://u.example']] }) });
    const env = list(other['first.yaml'], f.config);
    const r = spawnSync('kubectl', ['config', 'view', '--minify', '--flatten', '-o', 'json'], { encoding: 'utf8', cwd: top, env: { PATH: process.env.PATH, HOME: emptyHome, KUBECONFIG: env } });
    expect(r.stderr).toBe('');
    const theirs = JSON.parse(r.stdout);
    const ours = resolveKubeconfig({ env: { KUBECONFIG: env }, home: emptyHome });
    const b64 = (file: string) => readFileSync(file).toString('base64');
    expect(b64(ours.cluster['certificate-authority'])).toBe(theirs.clusters[0].cluster['certificate-authority-data']);
    expect(b64(ours.user['client-certificate'])).toBe(theirs.users[0].user['client-certificate-data']);
    expect(b64(ours.user['client-key'])).toBe(theirs.users[0].user['client-key-data']);
    expect(ours.user.tokenFile).toBe(join(sub, 'tok'));
    expect(ours.user.exec.command).toBe(join(sub, 'bin/plugin'));
  });

  it('an exec command without a slash is left for PATH', () => {
    const f = write(tmp(), {
      config: [
        'current-context: x', 'clusters:', '- name: c', '  cluster:', '    server: https://k.example',
        'contexts:', '- name: x', '  context:', '    cluster: c', '    user: u',
        'users:', '- name: u', '  user:', '    exec:', '      command: kubelogin',
      ].join('\n'),
    });
    expect(resolveKubeconfig({ kubeconfig: f.config }).user.exec.command).toBe('kubelogin');
  });
});

describe('an exec plugin with a relative path runs the same program for kubectl and for us', () => {
  let server: MisbehavingServer | undefined;
  afterEach(async () => { await server?.close(); server = undefined; });

  it('resolves ./bin/plugin.sh against the kubeconfig and sends its token', async () => {
    server = await startMisbehavingServer();
    const dir = tmp();
    const marker = join(dir, 'ran');
    const kubeconfig = (url: string) => [
      'apiVersion: v1', 'kind: Config', 'current-context: x',
      'clusters:', '- name: c', '  cluster:', `    server: ${url}`,
      'contexts:', '- name: x', '  context:', '    cluster: c', '    user: u',
      'users:', '- name: u', '  user:', '    exec:', '      apiVersion: client.authentication.k8s.io/v1', '      command: ./bin/plugin.sh', '      interactiveMode: Never',
    ].join('\n');
    const f = write(dir, {
      'bin/plugin.sh': `#!/bin/sh\necho "$0 $KUBERNETES_EXEC_INFO" >> ${marker}\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"from-plugin"}}'\n`,
      // kubectl runs exec plugins only for https: a closed https port lets it run the plugin, then fail.
      'closed.yaml': kubeconfig('https://127.0.0.1:1'),
      'fake.yaml': kubeconfig(server.url),
    });
    chmodSync(f['bin/plugin.sh'], 0o755);
    // From elsewhere: the path must resolve against the kubeconfig, not the working directory.
    const kubectl = await promisify(execFile)('kubectl', ['--kubeconfig', f['closed.yaml'], 'get', '--raw', '/version'], { cwd: tmpdir(), env: { PATH: process.env.PATH, HOME: emptyHome } }).catch((e) => e);
    expect(kubectl.stderr).toContain('refused');
    const closed = await KubeClient.load({ kubeconfig: f['closed.yaml'], requestTimeoutMs: 5000 });
    await expect(closed.get('/version')).rejects.toThrow('cannot reach');
    // kubectl's KUBERNETES_EXEC_INFO ends with a newline.
    const runs = () => readFileSync(marker, 'utf8').split('\n').filter((l) => l.trim() !== '');
    const [theirs, ours] = runs().map((line) => {
      const space = line.indexOf(' ');
      return { program: line.slice(0, space), info: JSON.parse(line.slice(space + 1)) };
    });
    expect(theirs).toEqual({ program: f['bin/plugin.sh'], info: { kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1', spec: { interactive: false } } });
    expect(ours).toEqual(theirs);
    const c = await KubeClient.load({ kubeconfig: f['fake.yaml'], requestTimeoutMs: 5000 });
    await c.get('/version');
    await c.get('/version');
    // The credential (no expiry) is kept for the run: one more plugin run for two requests.
    expect(runs()).toHaveLength(3);
    expect(server.requests.map((r) => r.headers.authorization)).toEqual(['Bearer from-plugin', 'Bearer from-plugin']);
  });
});

describe('no kubeconfig, and in-cluster', () => {
  it('says where it looked: ~/.kube/config', () => {
    const err = (() => { try { resolveKubeconfig({ env: {}, home: emptyHome, serviceAccountDir: join(emptyHome, 'none') }); } catch (e) { return e as Error; } })();
    expect(err).toBeInstanceOf(ClusterError);
    expect(err!.message).toBe(`no kubeconfig found: looked at ~/.kube/config (${join(emptyHome, '.kube', 'config')}); pass --kubeconfig or set KUBECONFIG`);
  });

  it('says where it looked: $KUBECONFIG', () => {
    expect(() => resolveKubeconfig({ env: { KUBECONFIG: list('/nope/a', '/nope/b') }, home: emptyHome, serviceAccountDir: join(emptyHome, 'none') }))
      .toThrow('no kubeconfig found: looked at $KUBECONFIG (/nope/a, /nope/b); pass --kubeconfig or set KUBECONFIG');
  });

  const serviceAccount = () => write(tmp(), { token: 'sa-token\n', namespace: 'team-a\n', 'ca.crt': 'CA' });

  it('uses the pod\'s service account when there is no kubeconfig', () => {
    const sa = serviceAccount();
    const dir = join(sa.token, '..');
    const r = resolveKubeconfig({ env: { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }, home: emptyHome, serviceAccountDir: dir });
    expect(r).toMatchObject({ inCluster: true, server: 'https://10.0.0.1:443', namespace: 'team-a', user: { tokenFile: join(dir, 'token') }, cluster: { 'certificate-authority': join(dir, 'ca.crt') } });
    expect(resolveKubeconfig({ env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443', POD_NAMESPACE: 'pod-ns' }, home: emptyHome, serviceAccountDir: dir }))
      .toMatchObject({ server: 'https://[fd00::1]:6443', namespace: 'pod-ns' });
  });

  it('in-cluster loads a client for the pod\'s namespace', async () => {
    const server = await startMisbehavingServer();
    try {
      const dir = join(serviceAccount().token, '..');
      const port = new URL(server.url).port;
      const r = resolveKubeconfig({ env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port }, home: emptyHome, serviceAccountDir: dir });
      expect(r.server).toBe(`https://127.0.0.1:${port}`);
      const c = await KubeClient.load({ requestTimeoutMs: 5000, env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port }, home: emptyHome, serviceAccountDir: dir });
      expect(c.contextName).toBe('in-cluster');
      expect(c.namespace).toBe('team-a');
    } finally {
      await server.close();
    }
  });

  it('a kubeconfig wins over the service account', () => {
    const dir = join(serviceAccount().token, '..');
    const f = write(tmp(), { kc: config({ current: 'x', clusters: [['c', 'https://k.example']], contexts: [['x', 'c']] }) });
    expect(resolveKubeconfig({ env: { KUBECONFIG: f.kc, KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }, serviceAccountDir: dir }))
      .toMatchObject({ inCluster: false, server: 'https://k.example' });
  });

  it('without the token file it is not in-cluster', () => {
    expect(() => resolveKubeconfig({ env: { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }, home: emptyHome, serviceAccountDir: tmp() }))
      .toThrow('no kubeconfig found');
  });
});

describe('servers that are not URLs', () => {
  for (const server of ['not a url', '10.0.0.1:6443', 'ftp://k.example', 'https://']) {
    it(JSON.stringify(server), () => {
      const f = write(tmp(), { kc: config({ current: 'x', clusters: [['prod', `"${server}"`]], contexts: [['x', 'prod']] }) });
      expect(() => resolveKubeconfig({ kubeconfig: f.kc })).toThrow(`the kubeconfig's cluster "prod" has server ${JSON.stringify(server)} which is not a URL`);
    });
  }
});

describe('exec plugins are bounded', () => {
  it('a plugin that never returns is killed, with the children it started', async () => {
    const dir = tmp();
    const pidFile = join(dir, 'pid');
    write(dir, { 'hang.sh': `#!/bin/sh\nsleep 600 &\necho $! > ${pidFile}\nwait\n` });
    chmodSync(join(dir, 'hang.sh'), 0o755);
    const started = Date.now();
    const err = await runExecPlugin({ command: join(dir, 'hang.sh'), interactiveMode: 'Never' }, 'u', 700).catch((e: Error) => e);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(err).toBeInstanceOf(ClusterError);
    expect((err as Error).message).toBe(`the credential plugin "${join(dir, 'hang.sh')}" of user "u" did not finish within 0.7s; check that it works on its own, or raise --request-timeout`);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((r) => setTimeout(r, 300));
    // Killed: gone, or a zombie waiting for a PID 1 that does not reap.
    const state = existsSync(`/proc/${pid}/status`) ? /State:\s+(\S)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] : 'gone';
    expect(['gone', 'Z', 'X']).toContain(state);
  });

  it('a plugin that fails or prints no credential is a ClusterError', async () => {
    const dir = tmp();
    write(dir, { 'fail.sh': '#!/bin/sh\nexit 4\n', 'junk.sh': '#!/bin/sh\necho hello\n' });
    chmodSync(join(dir, 'fail.sh'), 0o755);
    chmodSync(join(dir, 'junk.sh'), 0o755);
    await expect(runExecPlugin({ command: join(dir, 'fail.sh') }, 'u', 5000)).rejects.toThrow('failed (exit code 4)');
    await expect(runExecPlugin({ command: join(dir, 'junk.sh') }, 'u', 5000)).rejects.toThrow('did not print an ExecCredential');
    await expect(runExecPlugin({ command: join(dir, 'absent'), installHint: 'install it with brew' }, 'u', 5000)).rejects.toThrow('could not be run: not found (install it with brew)');
    expect(existsSync(join(dir, 'absent'))).toBe(false);
  });
});

describe('fields of the wrong type stop the run, as they stop kubectl (a typo must not pick another cluster)', () => {
  const dir = tmp();
  const f = write(dir, {
    'num.yaml': 'apiVersion: v1\nkind: Config\ncurrent-context: 1.30\n',
    'c.yaml': config({ current: 'c', clusters: [['c', 'https://c.example']], contexts: [['c', 'c', undefined, 'u']], users: ['u'] }),
    'ns.yaml': config({ current: 'nsc', clusters: [['nsc', 'https://n.example']], contexts: [['nsc', 'nsc', '0755', 'u']], users: ['u'] }),
  });
  it.each([
    ['an unquoted number as current-context, before a file that sets one', list(f['num.yaml'], f['c.yaml']), /current-context is the number 1\.3/],
    ['a number as a context namespace', f['ns.yaml'], /namespace: 755, which is not a string/],
  ])('%s', (_what, env, message) => {
    expect(kubectlPick(env).error).toMatch(/cannot unmarshal number/);
    expect(ourPick(env).error).toMatch(message);
  });
});

describe('connection flags over the kubeconfig (client-go\'s rules)', () => {
  const f = write(tmp(), {
    kc: [
      'current-context: x', 'clusters:', '- name: c', '  cluster:', '    server: https://k.example', '    certificate-authority-data: Q0E=', '    tls-server-name: inner.example',
      'contexts:', '- name: x', '  context:', '    cluster: c', '    user: u', '    namespace: team',
      'users:', '- name: u', '  user:', '    token: kc-token', '    as: bob', '    as-user-extra:', '      reason: [on call]', '      example.com/ticket%id: ["7"]',
    ].join('\n'),
  });
  const resolve = (overrides: Parameters<typeof resolveKubeconfig>[0]['overrides']) => resolveKubeconfig({ kubeconfig: f.kc, overrides });

  it('--server keeps the context\'s namespace and user but clears tls-server-name; --tls-server-name sets it back', () => {
    const r = resolve({ server: 'https://other.example:6443/' });
    expect(r).toMatchObject({ server: 'https://other.example:6443', namespace: 'team', user: { token: 'kc-token' } });
    expect(r.cluster['tls-server-name']).toBeUndefined();
    expect(resolve({ server: 'https://o.example', tlsServerName: 'n.example' }).cluster['tls-server-name']).toBe('n.example');
    expect(resolve({}).cluster['tls-server-name']).toBe('inner.example');
  });

  it('--insecure-skip-tls-verify drops the kubeconfig\'s CA; --certificate-authority replaces it', () => {
    expect(resolve({ insecureSkipTlsVerify: true }).cluster).toMatchObject({ 'insecure-skip-tls-verify': true });
    expect(resolve({ insecureSkipTlsVerify: true }).cluster['certificate-authority-data']).toBeUndefined();
    const ca = resolve({ certificateAuthority: '/ca.crt' }).cluster;
    expect(ca['certificate-authority']).toBe('/ca.crt');
    expect(ca['certificate-authority-data']).toBeUndefined();
  });

  it('the user entry\'s impersonation, with user-extra sent as escaped Impersonate-Extra- headers', async () => {
    const { impersonationHeaders } = await import('../../src/cluster/kube-client.js');
    const r = resolve({ asGroup: ['g1', 'g2'] });
    expect(r.impersonate).toEqual({ user: 'bob', groups: ['g1', 'g2'], uid: undefined, extra: { reason: ['on call'], 'example.com/ticket%id': ['7'] } });
    expect(impersonationHeaders(r.impersonate!)).toEqual({
      'Impersonate-User': 'bob', 'Impersonate-Group': ['g1', 'g2'], 'Impersonate-Extra-reason': ['on call'], 'Impersonate-Extra-example.com%2Fticket%25id': ['7'],
    });
  });

  it('in-cluster, --token replaces the service account token and --server its address', () => {
    const sa = write(tmp(), { token: 'sa', namespace: 'ns', 'ca.crt': 'CA' });
    const r = resolveKubeconfig({ env: { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }, home: emptyHome, serviceAccountDir: join(sa.token, '..'), overrides: { token: 'mine', server: 'https://api.example' } });
    expect(r).toMatchObject({ inCluster: true, server: 'https://api.example', user: { token: 'mine' } });
    expect(r.user.tokenFile).toBeUndefined();
  });
});
