// npm run bench:cluster -- [--nodes N] [--pods P] [--claims C] [--events E] [--rounds R] [--check]
// Starts etcd and kube-apiserver only (hack/cluster, nothing else writes), fills them with a synthetic cluster and
// a known set of problems, then times interleaved rounds of `kubectl get pods -A -o json`, `diagnose -A -o json`
// and two targeted `diagnose pod/X` (a healthy running pod, and the planted stuck one), and prints a table. Exit 1
// when the planted problems are not found exactly, or with --check when a goal is missed.
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { existsSync, mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { down, up } from '../../hack/cluster/controlplane.js';
import { TEST_DRIVER, type ClusterState } from '../../hack/cluster/state.js';
import { BENCH_USER_AGENT, BenchApi } from './api.js';
import { AuditLog, runMeasured, type Sample } from './measure.js';
import { findingKey, populate, type Sizes } from './populate.js';
import { goalsFor, LABELS, RUN_NAMES, summarize, table, type RunName } from './report.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(REPO, 'bin/kubectl-volume_doctor');
/** The admin user of hack/cluster's kubeconfig (its certificate's CN): the one kubectl and diagnose run as. */
const ADMIN = 'volume-doctor-admin';
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

const count = (min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer ≥ ${min}`);
  return n;
};

interface Flags extends Omit<Sizes, 'claims' | 'events'> {
  claims?: number;
  events?: number;
  rounds: number;
  check?: boolean;
  concurrency: number;
  kubectl: string;
  json?: string;
  keep?: boolean;
  serve?: boolean;
}

const program = new Command('npm run bench:cluster --')
  .description('Benchmark volume-doctor against kubectl on a real kube-apiserver filled with a synthetic cluster')
  .option('--nodes <n>', 'healthy nodes (two down nodes are planted besides)', count(1), 1000)
  .option('--pods <n>', 'running pods, spread over the nodes', count(1), 30_000)
  .option('--claims <n>', 'claims (each with its PV and VolumeAttachment), used by the first pods (default: a third of --pods)', count(1))
  .option('--events <n>', 'events about the pods, most of them Normal (default: one per 15 pods)', count(0))
  .option('--rounds <n>', 'measured rounds (after one warm-up round)', count(1), 7)
  .option('--check', 'exit 1 when a goal is missed')
  .option('--concurrency <n>', 'requests in flight while populating', count(1), 32)
  .option('--kubectl <path>', 'the kubectl to compare with', 'kubectl')
  .option('--json <file>', 'also write the samples and the summary as JSON')
  .option('--keep', 'keep the cluster directory (audit log, logs) after stopping it')
  .option('--serve', 'populate, print the KUBECONFIG and the diagnose commands, then keep serving until Ctrl-C (for profiling by hand)');

async function main(options: Flags): Promise<number> {
  const flags = { ...options, claims: options.claims ?? Math.round(options.pods / 3), events: options.events ?? Math.round(options.pods / 15) };
  if (flags.claims > flags.pods) throw new InvalidArgumentError(`--claims (${flags.claims}) cannot exceed --pods (${flags.pods}): each claim is used by one pod`);
  if (flags.claims < 1) throw new InvalidArgumentError('--claims must be at least 1: the healthy targeted run needs a pod with a volume');
  if (!existsSync(join(REPO, 'dist/src/cli/main.js'))) throw new Error('dist/ is missing: run npm run build (npm run bench:cluster does)');
  const kubectlVersion = execFileSync(flags.kubectl, ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, kubectl ${JSON.parse(kubectlVersion).clientVersion.gitVersion}`;

  let state: ClusterState | undefined;
  let stopping = false;
  let interrupted: NodeJS.Signals | undefined;
  const stop = async () => {
    if (stopping || !state) return;
    stopping = true;
    await down(state);
    if (flags.keep) log(`kept ${state.dir}`);
    else rmSync(state.dir, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = signal;
    log(`${signal}: stopping the cluster`);
    // While up() is starting it, the cluster is not known here yet: it is stopped as soon as up() returns.
    if (state) void stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    state = await up(0, { controllers: false });
    if (interrupted) throw new Error(`interrupted (${interrupted})`);
    const api = new BenchApi(state.kubeconfig, flags.concurrency);
    const t0 = Date.now();
    const planted = await populate(api, flags, TEST_DRIVER, log);
    const populateS = (Date.now() - t0) / 1000;
    const populateRequests = api.sent;
    log(`populated with ${populateRequests} requests in ${populateS.toFixed(0)} s; judging at --now ${planted.now}`);
    if (flags.serve) {
      log(`serving until Ctrl-C: export KUBECONFIG=${state.kubeconfig}`);
      log(`  node ${CLI} diagnose -A -o json --now ${planted.now}`);
      log(`  node ${CLI} diagnose pod/${planted.stuck.name} -n ${planted.stuck.namespace} -o json --now ${planted.now}`);
      // Nothing else keeps the event loop alive; Ctrl-C (onSignal above) stops the cluster and exits.
      setInterval(() => undefined, 60_000);
      await new Promise<never>(() => undefined);
    }

    const audit = new AuditLog(join(state.dir, 'audit.log'), api, ADMIN);
    const work = join(state.dir, 'bench');
    mkdirSync(work);
    const env = { ...process.env, KUBECONFIG: state.kubeconfig, NO_COLOR: '1' };
    const commands: Record<RunName, string[]> = {
      kubectl: [flags.kubectl, 'get', 'pods', '-A', '-o', 'json', '--cache-dir', join(work, 'kube-cache')],
      diagnose: [process.execPath, CLI, 'diagnose', '-A', '-o', 'json', '--now', planted.now],
      healthy: [process.execPath, CLI, 'diagnose', `pod/${planted.healthy.name}`, '-n', planted.healthy.namespace, '-o', 'json', '--now', planted.now],
      stuck: [process.execPath, CLI, 'diagnose', `pod/${planted.stuck.name}`, '-n', planted.stuck.namespace, '-o', 'json', '--now', planted.now],
    };
    const expected: Record<Exclude<RunName, 'kubectl'>, string[]> = { diagnose: planted.all, healthy: planted.healthy.findings, stuck: planted.stuck.findings };
    const samples: Record<RunName, Sample[]> = { kubectl: [], diagnose: [], healthy: [], stuck: [] };
    const problems: string[] = [];
    const unsound: string[] = [];
    for (let round = 0; round <= flags.rounds; round++) {
      // Round 0 warms the caches (kubectl's discovery cache, the page cache, etcd) and is not counted. The order
      // rotates so no command always runs right after the same other one.
      for (let k = 0; k < RUN_NAMES.length; k++) {
        const name = RUN_NAMES[(k + round) % RUN_NAMES.length];
        const before = audit.size();
        const out = join(work, `${name}.out`);
        const run = await runMeasured(commands[name], env, out, join(work, 'rss'));
        const after = await audit.settle();
        const sample: Sample = { ...run, ...audit.count(before, after, BENCH_USER_AGENT) };
        const ok = name === 'kubectl' ? run.exitCode === 0 : run.exitCode === 0 || run.exitCode === 1;
        if (!ok) throw new Error(`${commands[name].join(' ')} exited ${run.exitCode}: ${run.stderr.trim().slice(-2000)}`);
        unsound.push(...measurementProblems(name, round, sample, flags.pods + 2));
        if (name !== 'kubectl') problems.push(...compareFindings(LABELS[name], round, readFileSync(out, 'utf8'), expected[name]));
        else problems.push(...checkPodList(out, flags.pods + 2, round));
        rmSync(out);
        log(`round ${round}${round === 0 ? ' (warm-up)' : ''} ${LABELS[name]}: ${(run.wallMs / 1000).toFixed(2)} s, ${(run.rssBytes / 2 ** 20).toFixed(0)} MiB, ${sample.requests} requests`);
        if (round > 0) samples[name].push(sample);
      }
    }

    const summary = summarize(samples);
    const goals = goalsFor(flags.pods, summary);
    const header = `${flags.nodes} nodes (+2 planted down), ${flags.pods} pods, ${flags.claims} claims/PVs/VolumeAttachments, ${flags.events} events; `
      + `${flags.rounds} interleaved rounds after a warm-up; populated in ${populateS.toFixed(0)} s (${populateRequests} requests)\n${machine}`;
    process.stdout.write(`${table(header, summary, goals, planted)}\n`);
    if (problems.length) process.stdout.write(`\nThe planted problems were not found exactly:\n${[...new Set(problems)].map((p) => `  ${p}`).join('\n')}\n`);
    if (unsound.length) process.stdout.write(`\nThe request counts cannot be trusted:\n${unsound.map((p) => `  ${p}`).join('\n')}\n`);
    if (flags.json) writeFileSync(flags.json, `${JSON.stringify({ sizes: { nodes: flags.nodes, pods: flags.pods, claims: flags.claims, events: flags.events, rounds: flags.rounds }, machine, populateS, planted, samples, summary, goals, problems, unsound }, null, 2)}\n`);
    api.close();
    const missed = goals.filter((g) => g.enforced && !g.met);
    if (flags.check && missed.length) process.stdout.write(`\n--check: ${missed.length} goal(s) missed: ${missed.map((g) => g.name).join('; ')}\n`);
    return problems.length || unsound.length || (flags.check && missed.length) ? 1 : 0;
  } finally {
    await stop();
  }
}

/** The findings of one diagnose run against the planted set: what is missing and what is extra. */
function compareFindings(name: string, round: number, stdout: string, expected: string[]): string[] {
  let got: string[];
  try {
    const diagnosis = JSON.parse(stdout) as { findings: { check: string; subject: { kind: string; namespace?: string; name: string } }[]; incomplete?: unknown[] };
    if (diagnosis.incomplete?.length) return [`${name} (round ${round}): incomplete: ${JSON.stringify(diagnosis.incomplete)}`];
    got = diagnosis.findings.map((f) => findingKey(f.check, f.subject));
  } catch (err) {
    return [`${name} (round ${round}): the output is not a Diagnosis (${(err as Error).message})`];
  }
  const want = new Set(expected);
  const have = new Set(got);
  return [
    ...expected.filter((k) => !have.has(k)).map((k) => `${name}: missing ${k}`),
    ...got.filter((k) => !want.has(k)).map((k) => `${name}: unexpected ${k}`),
    ...got.filter((k, i) => got.indexOf(k) !== i).map((k) => `${name}: reported twice: ${k}`),
  ];
}

/**
 * The audit window of a run must hold its requests and only them: each run's requests carry its own user agent,
 * and kubectl pages through the pods 500 at a time (its default --chunk-size), a count known in advance.
 */
function measurementProblems(name: RunName, round: number, sample: Sample, pods: number): string[] {
  const problems: string[] = [];
  const agentsOk = name === 'kubectl' ? sample.userAgents.every((a) => a.startsWith('kubectl')) : sample.userAgents.join() === 'kubectl-volume_doctor';
  if (!agentsOk) problems.push(`${LABELS[name]} (round ${round}): requests from other user agents in its window: ${sample.userAgents.join(', ')}`);
  if (name === 'kubectl' && sample.byRequest['list pods'] !== Math.ceil(pods / 500)) {
    problems.push(`kubectl (round ${round}): ${sample.byRequest['list pods'] ?? 0} pod LISTs in the audit log, expected ${Math.ceil(pods / 500)} pages of 500`);
  }
  if (sample.requests === 0) problems.push(`${LABELS[name]} (round ${round}): no request in the audit log`);
  return problems;
}

/** kubectl must have listed every pod: the healthy ones and the two planted (kubectl indents a List's items' fields by 12). */
function checkPodList(file: string, expected: number, round: number): string[] {
  const out = readFileSync(file);
  const needle = Buffer.from('\n            "kind": "Pod",\n');
  let items = 0;
  for (let at = out.indexOf(needle); at >= 0; at = out.indexOf(needle, at + needle.length - 1)) items++;
  return items === expected ? [] : [`kubectl (round ${round}): listed ${items} pods, expected ${expected}`];
}

program.parseAsync(process.argv.slice(2), { from: 'user' })
  .then(async () => {
    process.exitCode = await main(program.opts<Flags>());
  })
  .catch((err: Error) => {
    process.stderr.write(`error: ${err.message}\n`);
    process.exitCode = 2;
  });
