import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { flagSpec, namesNamespacedType, normalizeShortFlags, parseNamespace, parseTarget, requestTimeoutMs, durationFlag } from '../../src/cli/options.js';
import { buildProgram, main, normalizeArgv } from '../../src/cli/main.js';
import { UsageError } from '../../src/errors.js';

// packageVersion reads package.json relative to the built file.
vi.mock('../../src/cli/version.js', async (original) => ({ ...(await original<object>()), packageVersion: () => '0.0.0-test' }));

describe('argv as kubectl reads it', () => {
  const program = buildProgram();
  const spec = flagSpec(program);
  const norm = (...argv: string[]) => normalizeArgv(argv, program);

  it('knows which short flags take a value', () => {
    expect([...spec.valueShort].sort()).toEqual(['l', 'n', 'o', 's', 'v']);
    expect(spec.boolShort.has('A')).toBe(true);
    expect(spec.boolShort.has('y')).toBe(true);
    expect(spec.valueLong.has('--context')).toBe(true);
    expect(spec.valueLong.has('--all-namespaces')).toBe(false);
  });

  it('reads -n=shop, -nshop and -n shop as shop, like pflag', () => {
    expect(norm('diagnose', '-n=shop')).toEqual(['diagnose', '-n', 'shop']);
    expect(norm('diagnose', '-nshop')).toEqual(['diagnose', '-n', 'shop']);
    expect(norm('diagnose', '-n', 'shop')).toEqual(['diagnose', '-n', 'shop']);
    expect(norm('diagnose', '-o=json')).toEqual(['diagnose', '-o', 'json']);
    expect(norm('diagnose', '-An=shop')).toEqual(['diagnose', '-An', 'shop']);
    expect(norm('fix', '-yo=yaml')).toEqual(['fix', '-yo', 'yaml']);
    expect(norm('diagnose', '-n==shop')).toEqual(['diagnose', '-n', '=shop']);
  });

  it('leaves flag values, long flags, unknown flags and everything after -- alone', () => {
    expect(norm('diagnose', '--context', '-n=x', '-n=y')).toEqual(['diagnose', '--context', '-n=x', '-n', 'y']);
    expect(norm('diagnose', '-n', '-o=x')).toEqual(['diagnose', '-n', '-o=x']);
    expect(norm('diagnose', '--namespace=shop', '--context=a=b')).toEqual(['diagnose', '--namespace=shop', '--context=a=b']);
    expect(norm('diagnose', '-z=1', '-')).toEqual(['diagnose', '-z=1', '-']);
    expect(norm('diagnose', '--', '-n=x')).toEqual(['diagnose', '--', '-n=x']);
  });

  it('takes --all-namespaces=true and =false (and pflag\'s other spellings of a boolean), as kubectl does', () => {
    expect(norm('diagnose', '--all-namespaces=true')).toEqual(['diagnose', '--all-namespaces']);
    expect(norm('diagnose', '--all-namespaces=false', '-n', 'x')).toEqual(['diagnose', '-n', 'x']);
    expect(norm('fix', '--yes=1', '--all-namespaces=T')).toEqual(['fix', '--yes', '--all-namespaces']);
    expect(norm('diagnose', '--all-namespaces=maybe')).toEqual(['diagnose', '--all-namespaces=maybe']);
  });

  it('reads -v=6, -v6, --v=6 and -l=app=web as kubectl does; --insecure-skip-tls-verify=false is off', () => {
    expect(norm('diagnose', '-v=6')).toEqual(['diagnose', '-v', '6']);
    expect(norm('diagnose', '-Av6')).toEqual(['diagnose', '-Av', '6']);
    expect(norm('diagnose', '--v=6')).toEqual(['diagnose', '--v=6']);
    expect(norm('diagnose', '-l=app=web')).toEqual(['diagnose', '-l', 'app=web']);
    expect(norm('diagnose', '-s', 'https://k:6443', '--as-group', '-n=x')).toEqual(['diagnose', '-s', 'https://k:6443', '--as-group', '-n=x']);
    expect(norm('diagnose', '--insecure-skip-tls-verify=false')).toEqual(['diagnose']);
  });

  it('still turns a bare --dry-run into --dry-run=client', () => {
    expect(norm('fix', '--dry-run', '-n=shop')).toEqual(['fix', '--dry-run=client', '-n', 'shop']);
  });

  it('works on a program given to it', () => {
    const p = new Command().option('-x, --ex <v>').option('-b');
    expect(normalizeShortFlags(['-bx=1'], flagSpec(p))).toEqual(['-bx', '1']);
  });
});

describe('names checked as Kubernetes checks them', () => {
  it('a namespace is an RFC 1123 label; empty means the context namespace', () => {
    expect(parseNamespace('shop')).toBe('shop');
    expect(parseNamespace('a'.repeat(63))).toBe('a'.repeat(63));
    expect(parseNamespace('')).toBeUndefined();
    expect(() => parseNamespace('=shop')).toThrow('invalid namespace "=shop": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character');
    for (const bad of ['Shop', '-shop', 'shop-', 'sh.op', 'sh_op', 'a'.repeat(64)]) expect(() => parseNamespace(bad), bad).toThrow(UsageError);
  });

  it('object names are RFC 1123 subdomains', () => {
    expect(parseTarget(['node/worker-1.example.com'], 'default')?.ref).toEqual({ kind: 'Node', name: 'worker-1.example.com', namespace: undefined });
    expect(parseTarget(['po', 'web-0'], 'shop')?.ref).toEqual({ kind: 'Pod', name: 'web-0', namespace: 'shop' });
    expect(parseTarget([`pv/${'a'.repeat(253)}`], 'default')?.ref.name).toHaveLength(253);
    expect(() => parseTarget([`pv/${'a'.repeat(254)}`], 'default')).toThrow('invalid PersistentVolume name');
    for (const bad of ['pod/Web', 'pod/web_0', 'pod/-web', 'pod/web.', 'pvc/a..b', 'node/a\x1b[2J']) expect(() => parseTarget([bad], 'default'), bad).toThrow(UsageError);
  });

  it('takes each type by its singular, plural, short and group-qualified names, in any case, and nothing else', () => {
    const spellings: [string, string, string | undefined][] = [
      ['po', 'Pod', 'shop'], ['pod', 'Pod', 'shop'], ['pods', 'Pod', 'shop'], ['Pod', 'Pod', 'shop'],
      ['pvc', 'PersistentVolumeClaim', 'shop'], ['pvcs', 'PersistentVolumeClaim', 'shop'], ['PersistentVolumeClaim', 'PersistentVolumeClaim', 'shop'],
      ['persistentvolumeclaims', 'PersistentVolumeClaim', 'shop'],
      ['pv', 'PersistentVolume', undefined], ['pvs', 'PersistentVolume', undefined], ['persistentvolume', 'PersistentVolume', undefined],
      ['persistentvolumes', 'PersistentVolume', undefined],
      ['no', 'Node', undefined], ['node', 'Node', undefined], ['nodes', 'Node', undefined],
      ['volumeattachment', 'VolumeAttachment', undefined], ['volumeattachments', 'VolumeAttachment', undefined],
      ['volumeattachment.storage.k8s.io', 'VolumeAttachment', undefined], ['VolumeAttachments.storage.k8s.io', 'VolumeAttachment', undefined],
    ];
    for (const [type, kind, namespace] of spellings) {
      expect(parseTarget([`${type}/x`], 'shop')?.ref, type).toEqual({ kind, name: 'x', namespace });
      expect(parseTarget([type, 'x'], 'shop')?.ref, type).toEqual({ kind, name: 'x', namespace });
    }
    for (const other of ['constructor', '__proto__', 'toString', 'sc', 'storageclass', 'csinode', 'lease', 'event', 'pod.storage.k8s.io', 'volumeattachment.v1']) {
      expect(() => parseTarget([`${other}/x`], 'shop'), other).toThrow(`unsupported type "${other}": use pod, pvc, pv, node or volumeattachment`);
    }
  });

  it('tells a named pod or claim (which -A cannot take) by its first word', () => {
    for (const arg of ['pod/web-0', 'po', 'Pods', 'pvc/data', 'PVCS', 'persistentvolumeclaim/data', 'pod.v1/web-0']) expect(namesNamespacedType(arg), arg).toBe(true);
    for (const arg of ['pv/data', 'node/worker-1', 'no', 'volumeattachment/csi-1', 'podx/web-0', 'web-0', '', 'constructor/x']) expect(namesNamespacedType(arg), arg).toBe(false);
  });

  it('rejects a second slash as kubectl does', () => {
    expect(() => parseTarget(['pod/a/b'], 'default')).toThrow('"pod/a/b": arguments in resource/name form may not have more than one slash');
    expect(() => parseTarget(['pod', 'pod/a'], 'default')).toThrow('there is no need to specify a resource type as a separate argument');
  });
});

describe('main', () => {
  let stderr: string[];
  beforeEach(() => {
    stderr = [];
    process.exitCode = undefined;
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      stderr.push(String(s));
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
    delete process.env.VOLUME_DOCTOR_DEBUG;
  });

  const programThrowing = (err: unknown) => {
    const program = buildProgram();
    program.addCommand(new Command('boom').exitOverride().action(() => {
      throw err;
    }));
    return program;
  };

  it('prints one line for an unexpected error and exits 3, without a stack', async () => {
    let err: unknown;
    try {
      // eslint-disable-next-line @typescript-eslint/no-unused-expressions -- the property read is what throws
      (null as unknown as { x: number }).x;
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TypeError);
    expect(await main(['boom'], programThrowing(err))).toBe(3);
    expect(stderr.join('')).toBe(`error: unexpected failure: ${(err as Error).message}\n`);
  });

  it('prints the stack only with VOLUME_DOCTOR_DEBUG=1', async () => {
    process.env.VOLUME_DOCTOR_DEBUG = '1';
    expect(await main(['boom'], programThrowing(new TypeError('bad')))).toBe(3);
    expect(stderr.join('')).toMatch(/^error: unexpected failure: bad\nTypeError: bad\n\s+at /);
  });

  it('escapes a hostile message and keeps it to one line, whatever is thrown', async () => {
    expect(await main(['boom'], programThrowing(new UsageError('bad \x1b[2J\n0 critical')))).toBe(2);
    expect(stderr.join('')).toBe('error: bad \\x1b[2J\\n0 critical\n');
    stderr.length = 0;
    expect(await main(['boom'], programThrowing('a string'))).toBe(3);
    expect(stderr.join('')).toBe('error: unexpected failure: a string\n');
    stderr.length = 0;
    expect(await main(['boom'], programThrowing(new Error(`huge ${'x'.repeat(100_000)}`)))).toBe(3);
    expect(stderr.join('')).toMatch(/^error: unexpected failure: huge x+… \(\d+ more characters\)\n$/);
    expect(stderr.join('').length).toBeLessThan(3000);
  });

  it('commander usage errors exit 2; --help and --version exit 0', async () => {
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    expect(await main(['diagnose', '--bogus'])).toBe(2);
    expect(await main(['diagnose', '--output'])).toBe(2);
    expect(await main(['unknown-command'])).toBe(2);
    expect(await main(['--help'])).toBe(0);
    expect(await main(['--version'])).toBe(0);
  });
});

describe('--request-timeout', () => {
  it('takes durations up to 24h and 0 for no limit, and refuses longer ones (a Node timer that long fires at once)', () => {
    expect(requestTimeoutMs('30s')).toBe(30_000);
    expect(requestTimeoutMs('0')).toBe(0);
    expect(requestTimeoutMs('24h')).toBe(86_400_000);
    expect(() => requestTimeoutMs('600h')).toThrow(UsageError);
    expect(() => requestTimeoutMs('25h')).toThrow(/at most 24h/);
  });
});

describe('fix\'s duration flags', () => {
  it('refuse durations past 24h, as --request-timeout does', () => {
    expect(durationFlag('--timeout', '5m')).toBe(300_000);
    expect(() => durationFlag('--timeout', '900h')).toThrow('invalid --timeout "900h": at most 24h');
    expect(() => durationFlag('--node-down-for', 'soon')).toThrow('invalid --node-down-for "soon": use a duration like 5m');
  });
});
