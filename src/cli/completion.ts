// Shell completion in cobra's protocol, which kubectl speaks for plugins (kubectl 1.26+ runs
// `kubectl_complete-volume_doctor ARGS... WORD` and relays its output): one candidate per line, "value\tdescription",
// then a last line ":<directive>". `kubectl-volume_doctor __complete ARGS... WORD` answers it; `completion bash|zsh|fish`
// prints scripts that ask it the same way for the standalone binary. Names come from the cluster within about 2 s;
// contexts and users come from the kubeconfig alone.
import { Command, Option } from 'commander';
import { CHECKS } from '../checks/index.js';
import { KubeClient } from '../cluster/kube-client.js';
import { kubeconfigFiles, mergeKubeconfigs } from '../cluster/kubeconfig.js';
import { invalidSubdomain } from '../util/names.js';
import { flagSpec, normalizeShortFlags } from './options.js';
import { UsageError } from './errors.js';
import { COLOR_MODES } from '../report/style.js';
import { CORE_KINDS, resourcePath, TARGET_RESOURCES, TARGET_TYPES, TargetResource, targetTypeNames } from '../model/kinds.js';

/** What a list of names is asked for: the objects of a TYPE, the namespaces, or the nodes that are not Ready. */
type NameSource = TargetResource | 'namespace' | 'notready-node';
import { normalizeDryRun } from './fix.js';

export const COMPLETE = '__complete';
export const COMPLETE_NO_DESC = '__completeNoDesc';

/** cobra's ShellCompDirective bits. */
const DIRECTIVE = { error: 1, noSpace: 2, noFileComp: 4 } as const;

/** How long live names may take: completion must not hang a shell. */
const LIVE_TIMEOUT_MS = 2000;

/** TYPE/ as the command line offers it (pod/, pvc/, ...), with what it names. */
const TYPES: [string, string][] = TARGET_RESOURCES.map((r) => [`${TARGET_TYPES[r].name}/`, `a ${CORE_KINDS[r].kind}`]);
/** Every spelling of each TYPE the command line takes (kubectl's singular, plural, short and group-qualified names). */
const TYPE_NAMES = new Map(TARGET_RESOURCES.flatMap((r) => targetTypeNames(r).map((n) => [n, r] as const)));
const typeOf = (word: string): TargetResource | undefined => TYPE_NAMES.get(word.toLowerCase());

/** Flags whose value is a file: the shell completes it. */
const FILE_FLAGS = new Set(['--kubeconfig', '--from-file', '--certificate-authority', '--client-certificate', '--client-key']);
const SHELLS = ['bash', 'zsh', 'fish'];

interface Candidate {
  value: string;
  description?: string;
}

export interface Completion {
  candidates: Candidate[];
  directive: number;
}

/** What the shell needs to know about the command line: the flags given so far, by long name. */
interface Line {
  cmd: Command;
  flags: Map<string, string[]>;
  positionals: string[];
}

const longOf = (cmd: Command, short: string): Option | undefined => cmd.options.find((o) => o.short === short);
const takesValue = (o: Option) => o.required || o.optional;

/** Reads the words before the one being completed as the command would (values of flags included). */
function readLine(cmd: Command, words: string[], program: Command): Line {
  const flags = new Map<string, string[]>();
  const positionals: string[] = [];
  const normal = normalizeShortFlags(normalizeDryRun(words), flagSpec(program));
  for (let i = 0; i < normal.length; i++) {
    const w = normal[i];
    if (w === '--') {
      positionals.push(...normal.slice(i + 1));
      break;
    }
    const eq = /^(--[^=]+)=(.*)$/.exec(w);
    const option = eq ? cmd.options.find((o) => o.long === eq[1]) : w.startsWith('--') ? cmd.options.find((o) => o.long === w) : /^-.$/.test(w) ? longOf(cmd, w) : undefined;
    if (!option) {
      if (!w.startsWith('-')) positionals.push(w);
      continue;
    }
    const value = eq ? eq[2] : takesValue(option) ? normal[++i] : 'true';
    const name = option.long ?? option.short!;
    flags.set(name, [...(flags.get(name) ?? []), value ?? '']);
  }
  return { cmd, flags, positionals };
}

/** The value flag that `word` still waits a value for, if it is one (`--context`, `-n`, `-An`). */
function pendingFlag(cmd: Command, word: string | undefined): Option | undefined {
  // A bare --dry-run means client, as in kubectl: its value only ever follows "=".
  if (!word || word === '--' || word.includes('=') || word === '--dry-run') return undefined;
  if (word.startsWith('--')) {
    const o = cmd.options.find((x) => x.long === word);
    return o && takesValue(o) ? o : undefined;
  }
  if (!/^-[^-]/.test(word)) return undefined;
  // A run of short flags: only the last may take a value, and only if nothing follows it.
  const o = longOf(cmd, `-${word.at(-1)}`);
  const booleansBefore = [...word.slice(1, -1)].every((c) => { const b = longOf(cmd, `-${c}`); return b && !takesValue(b); });
  return o && takesValue(o) && booleansBefore ? o : undefined;
}

const matching = (candidates: Candidate[], prefix: string) => candidates.filter((c) => c.value.startsWith(prefix));

/** Fixed values of a flag: its choices, or the a|b|c list its help names. */
function fixedValues(o: Option): string[] | undefined {
  if (o.argChoices?.length) return o.argChoices;
  if (o.long === '--dry-run') return ['client', 'server', 'none'];
  if (o.long === '--color') return [...COLOR_MODES];
  const list = /(?:^|[\s:(])([a-z]+(?:\|[a-z]+)+)/.exec(o.description ?? '');
  return list ? list[1].split('|') : undefined;
}

const checkIds = (): Candidate[] => CHECKS.map((c) => ({ value: c.id, description: c.title }));

/** Completions for `words` (the arguments after the program name; the last is the word being typed). */
export async function complete(program: Command, words: string[], live: LiveNames = liveNames): Promise<Completion> {
  const toComplete = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  const none = { candidates: [], directive: DIRECTIVE.noFileComp };
  const subIndex = before.findIndex((w) => !w.startsWith('-'));
  if (subIndex < 0) {
    if (toComplete.startsWith('-')) return { candidates: matching([{ value: '--help', description: 'show help' }, { value: '--version', description: 'print the version' }], toComplete), directive: DIRECTIVE.noFileComp };
    const subs = program.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden).map((c) => ({ value: c.name(), description: c.description() }));
    return { candidates: matching(subs, toComplete), directive: DIRECTIVE.noFileComp };
  }
  const cmd = program.commands.find((c) => c.name() === before[subIndex] || c.aliases().includes(before[subIndex]));
  if (!cmd) return none;
  const rest = before.slice(subIndex + 1);
  const line = readLine(cmd, rest, program);

  // A flag's value: after `--flag ` or `-n `, or inside `--flag=`.
  const eq = /^(--[^=]+)=(.*)$/.exec(toComplete);
  const pending = eq ? cmd.options.find((o) => o.long === eq[1] && takesValue(o)) : pendingFlag(cmd, rest.at(-1));
  if (pending && !(rest.length && rest.at(-1) === '--')) {
    const prefix = eq ? `${eq[1]}=` : '';
    const typed = eq ? eq[2] : toComplete;
    const { candidates, directive } = await flagValues(pending, typed, line, live);
    return { candidates: candidates.map((c) => ({ ...c, value: prefix + c.value })), directive };
  }
  if (toComplete.startsWith('-')) {
    const flags = cmd.options.flatMap((o) => [o.long, toComplete.length <= 2 && !toComplete.startsWith('--') ? o.short : undefined]
      .filter((f): f is string => !!f).map((f) => ({ value: f, description: o.description.split(/[;(]/)[0].trim() })));
    return { candidates: matching([...flags, { value: '--help', description: 'show help' }], toComplete), directive: DIRECTIVE.noFileComp };
  }
  if (cmd.name() === 'explain') return line.positionals.length ? none : { candidates: matching(checkIds(), toComplete), directive: DIRECTIVE.noFileComp };
  if (cmd.name() === 'completion') return line.positionals.length ? none : { candidates: matching(SHELLS.map((value) => ({ value })), toComplete), directive: DIRECTIVE.noFileComp };
  if (cmd.name() !== 'diagnose' && cmd.name() !== 'fix') return none;
  return completeTarget(line, toComplete, live);
}

/** TYPE/ first, then TYPE/NAME from the cluster; `TYPE NAME` (two words) too. */
async function completeTarget(line: Line, toComplete: string, live: LiveNames): Promise<Completion> {
  const none = { candidates: [], directive: DIRECTIVE.noFileComp };
  const [first, ...others] = line.positionals;
  if (first !== undefined) {
    const type = !first.includes('/') && others.length === 0 ? typeOf(first) : undefined;
    if (!type) return none;
    return { candidates: matching(await live.names(line, type), toComplete), directive: DIRECTIVE.noFileComp };
  }
  const slash = toComplete.indexOf('/');
  if (slash < 0) return { candidates: matching(TYPES.map(([value, description]) => ({ value, description })), toComplete.toLowerCase()), directive: DIRECTIVE.noFileComp | DIRECTIVE.noSpace };
  const typed = toComplete.slice(0, slash);
  const type = typeOf(typed);
  if (!type) return none;
  const names = await live.names(line, type);
  return { candidates: matching(names.map((n) => ({ ...n, value: `${typed}/${n.value}` })), toComplete), directive: DIRECTIVE.noFileComp };
}

async function flagValues(o: Option, typed: string, line: Line, live: LiveNames): Promise<Completion> {
  const done = (candidates: Candidate[]) => ({ candidates: matching(candidates, typed), directive: DIRECTIVE.noFileComp });
  if (FILE_FLAGS.has(o.long ?? '')) return { candidates: [], directive: 0 };
  if (o.long === '--only') {
    // A comma-separated list: complete its last item.
    const head = typed.slice(0, typed.lastIndexOf(',') + 1);
    return { candidates: matching(checkIds().map((c) => ({ ...c, value: head + c.value })), typed), directive: DIRECTIVE.noFileComp };
  }
  const fixed = fixedValues(o);
  if (fixed) return done(fixed.map((value) => ({ value })));
  if (o.long === '--context' || o.long === '--cluster' || o.long === '--user') return done(kubeconfigNames(line, o.long.slice(2) as 'context' | 'cluster' | 'user'));
  if (o.long === '--namespace') return done(await live.names(line, 'namespace'));
  if (o.long === '--confirm-node-down') return done(await live.names(line, 'notready-node'));
  return { candidates: [], directive: DIRECTIVE.noFileComp };
}

const one = (line: Line, flag: string): string | undefined => line.flags.get(flag)?.at(-1);

/** Contexts, clusters or users of the kubeconfig the command would read; nothing when it cannot be read. */
function kubeconfigNames(line: Line, what: 'context' | 'cluster' | 'user'): Candidate[] {
  try {
    const merged = mergeKubeconfigs(kubeconfigFiles({ kubeconfig: one(line, '--kubeconfig') }).files);
    const map = what === 'context' ? merged.contexts : what === 'cluster' ? merged.clusters : merged.users;
    return [...map.keys()].filter((n) => !/[\s\t\n]/.test(n)).map((value) => ({
      value, description: what === 'context' ? `cluster ${String(map.get(value)?.body.cluster ?? '')}${value === merged.currentContext ? ' (current)' : ''}` : undefined,
    }));
  } catch {
    return [];
  }
}

export interface LiveNames {
  names(line: Line, what: NameSource): Promise<Candidate[]>;
}

/**
 * Names from the cluster the command line points at: one page, within LIVE_TIMEOUT_MS once the client is ready
 * (loading it is bounded too: an exec credential plugin gets the same time); none on any failure.
 */
const liveNames: LiveNames = {
  async names(line, what) {
    let timer: NodeJS.Timeout | undefined;
    try {
      const client = await clientFor(line);
      const timeout = new Promise<Candidate[]>((resolve) => { timer = setTimeout(() => resolve([]), LIVE_TIMEOUT_MS); });
      return await Promise.race([fetchNames(client, line, what), timeout]);
    } catch {
      return [];
    } finally {
      clearTimeout(timer);
    }
  },
};

function clientFor(line: Line): Promise<KubeClient> {
  const flag = (f: string) => one(line, f);
  return KubeClient.load({
    kubeconfig: flag('--kubeconfig'),
    context: flag('--context'),
    overrides: {
      cluster: flag('--cluster'), user: flag('--user'), server: flag('--server'), token: flag('--token'),
      certificateAuthority: flag('--certificate-authority'), clientCertificate: flag('--client-certificate'), clientKey: flag('--client-key'),
      insecureSkipTlsVerify: line.flags.has('--insecure-skip-tls-verify'), tlsServerName: flag('--tls-server-name'),
      as: flag('--as'), asGroup: line.flags.get('--as-group'), asUid: flag('--as-uid'),
    },
    requestTimeoutMs: LIVE_TIMEOUT_MS,
  });
}

async function fetchNames(client: KubeClient, line: Line, what: NameSource): Promise<Candidate[]> {
  const flag = (f: string) => one(line, f);
  const namespace = flag('--namespace') || client.namespace;
  const path = what === 'namespace' ? '/api/v1/namespaces' : what === 'notready-node' ? '/api/v1/nodes' : resourcePath(CORE_KINDS[what], namespace);
  const page = await client.request<{ items?: unknown }>(path, { query: { limit: '500' } });
  const items = Array.isArray(page?.items) ? page.items : [];
  const out: Candidate[] = [];
  for (const item of items as { metadata?: { name?: unknown }; status?: { conditions?: unknown } }[]) {
    const name = item?.metadata?.name;
    // Only names Kubernetes could have made: anything else could break the shell's line protocol.
    if (typeof name !== 'string' || invalidSubdomain(name)) continue;
    if (what === 'notready-node') {
      const conditions = Array.isArray(item.status?.conditions) ? item.status!.conditions as { type?: unknown; status?: unknown }[] : [];
      const ready = conditions.find((c) => c?.type === 'Ready');
      if (ready?.status === 'True') continue;
      out.push({ value: name, description: `Ready=${typeof ready?.status === 'string' ? ready.status : 'unknown'}` });
    } else out.push({ value: name });
  }
  return out;
}

/** The protocol's output: candidates (without descriptions for __completeNoDesc), then `:<directive>`. */
function formatCompletion(c: Completion, descriptions: boolean): string {
  const lines = c.candidates.map((x) => (descriptions && x.description ? `${x.value}\t${x.description.replace(/[\t\n]/g, ' ')}` : x.value));
  return `${[...lines, `:${c.directive}`].join('\n')}\n`;
}

export async function runComplete(program: Command, words: string[], descriptions: boolean, write: (s: string) => void): Promise<number> {
  let result: Completion;
  try {
    result = await complete(program, words.length ? words : ['']);
  } catch {
    result = { candidates: [], directive: DIRECTIVE.error };
  }
  write(formatCompletion(result, descriptions));
  return 0;
}

export function completionCommand(): Command {
  return new Command('completion')
    .description('Print a completion script for bash, zsh or fish (for the kubectl-volume_doctor command; kubectl volume-doctor completes through kubectl_complete-volume_doctor)')
    .argument('<shell>', 'bash, zsh or fish')
    .addHelpText('after', `
Examples:
  source <(kubectl-volume_doctor completion bash)
  kubectl-volume_doctor completion zsh > "\${fpath[1]}/_kubectl-volume_doctor"
  kubectl-volume_doctor completion fish > ~/.config/fish/completions/kubectl-volume_doctor.fish`)
    .action((shell: string) => {
      const script = SCRIPTS[shell];
      if (!script) throw new UsageError(`unsupported shell "${shell}": use bash, zsh or fish`);
      process.stdout.write(script);
    });
}

const BIN = 'kubectl-volume_doctor';

const BASH = `# bash completion for ${BIN}
_kubectl_volume_doctor() {
    local line="\${COMP_LINE:0:COMP_POINT}" out directive cur keep c
    local -a words comps
    read -ra words <<< "$line"
    [[ "$line" == *[[:space:]] ]] && words+=("")
    cur="\${words[\${#words[@]}-1]}"
    out=$("\${words[0]}" ${COMPLETE_NO_DESC} "\${words[@]:1}" 2>/dev/null) || return
    directive="\${out##*:}"
    mapfile -t comps < <(printf '%s\\n' "$out" | sed '$d')
    (( directive & 1 )) && return
    (( directive & 2 )) && compopt -o nospace 2>/dev/null
    (( (directive & 4) || \${#comps[@]} )) && compopt +o default 2>/dev/null
    # Readline replaces only the text after the last = or : of the word.
    keep="\${cur%"\${cur##*[=:]}"}"
    COMPREPLY=()
    for c in "\${comps[@]}"; do COMPREPLY+=("\${c#"$keep"}"); done
}
complete -o default -F _kubectl_volume_doctor ${BIN}
`;

const ZSH = `#compdef ${BIN}
# zsh completion for ${BIN}
_kubectl_volume_doctor() {
    local out directive c
    local -a comps described
    out=$("\${words[1]}" ${COMPLETE} "\${(@)words[2,CURRENT]}" 2>/dev/null) || return 1
    comps=("\${(@f)out}")
    directive="\${comps[-1]#:}"
    comps=("\${(@)comps[1,-2]}")
    (( directive & 1 )) && return 1
    if (( \${#comps} == 0 )); then
        (( directive & 4 )) || _files
        return
    fi
    for c in "\${comps[@]}"; do
        described+=("\${\${c%%$'\\t'*}//:/\\\\:}\${\${(M)c#*$'\\t'}:+:\${c#*$'\\t'}}")
    done
    if (( directive & 2 )); then _describe -t values 'completions' described -S ''
    else _describe -t values 'completions' described
    fi
}
compdef _kubectl_volume_doctor ${BIN}
`;

const FISH = `# fish completion for ${BIN}
function __kubectl_volume_doctor_complete
    set -l args (commandline -opc)
    set -e args[1]
    set -l cur (commandline -ct)
    set -l out (${BIN} ${COMPLETE} $args "$cur" 2>/dev/null)
    or return
    set -l directive (string sub -s 2 -- $out[-1])
    set -e out[-1]
    if test (math "$directive % 2") -eq 1
        return
    end
    if test (count $out) -eq 0; and test (math "floor($directive / 4) % 2") -eq 0
        __fish_complete_path "$cur"
        return
    end
    printf '%s\\n' $out
end
complete -c ${BIN} -f -a '(__kubectl_volume_doctor_complete)'
`;

const SCRIPTS: Record<string, string> = { bash: BASH, zsh: ZSH, fish: FISH };
