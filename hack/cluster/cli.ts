// npm run cluster -- <command>: a real local control plane for the e2e tests and the live demo.
import { Command } from 'commander';
import { down, status, up } from './controlplane.js';
import { findCluster } from './state.js';
import { kubeletAnswers, kubeletCutOff, kubeletSilent, nodeDown, nodeUp, setAttacher, setInUse, setLogQuery, setOrphanedPods, AttacherMode } from './controls.js';
import { reconnectStory10, runScenario, SCENARIO_BY_NUMBER } from './scenarios.js';
import { client } from './kube.js';

const program = new Command('npm run cluster --').description('A local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok) for volume-doctor');
const dirOption = (cmd: Command) => cmd.option('--dir <dir>', 'the cluster directory (default: the directory of $KUBECONFIG)');

program.command('up').option('--nodes <n>', 'number of kwok nodes', '3').description('start a cluster; the last line is export KUBECONFIG=...')
  .action(async (o: { nodes: string }) => {
    const state = await up(Number(o.nodes));
    process.stdout.write(`export KUBECONFIG=${state.kubeconfig}\n`);
  });
dirOption(program.command('down').description('stop exactly the processes this cluster started'))
  .action(async (o: { dir?: string }) => down(findCluster(o.dir)));
dirOption(program.command('status').description('what runs'))
  .action((o: { dir?: string }) => {
    const state = findCluster(o.dir);
    process.stdout.write(`cluster ${state.dir} (${state.server}), nodes ${state.nodes.join(', ')}\n`);
    if (state.network) process.stdout.write(`kubelets in network namespace ${state.network.netns} (${state.network.subnet}, host link ${state.network.hostLink}): ${Object.entries(state.kubelets ?? {}).map(([n, k]) => `${n} ${k.ip}:${k.port}`).join(', ')}\n`);
    for (const p of status(state)) process.stdout.write(`  ${p.name.padEnd(24)} pid ${String(p.pid).padEnd(8)} ${p.running ? 'running' : 'stopped'}\n`);
  });
dirOption(program.command('node-down <node>').description('the machine is off: no heartbeats, its kubelet neither acts nor answers'))
  .action(async (node: string, o: { dir?: string }) => nodeDown(findCluster(o.dir), node));
dirOption(program.command('node-up <node>').description('the node heartbeats again and its kubelet answers'))
  .action(async (node: string, o: { dir?: string }) => nodeUp(findCluster(o.dir), node));
dirOption(program.command('kubelet-cut-off <node>').description('the kubelet loses the API server (no status, no Lease, its pod list frozen) but still answers through the node proxy; node-up reconnects it'))
  .action(async (node: string, o: { dir?: string }) => kubeletCutOff(findCluster(o.dir), node));
dirOption(program.command('kubelet-silent <node>').description('the kubelet stops answering (the node proxy answers 503)'))
  .action(async (node: string, o: { dir?: string }) => kubeletSilent(findCluster(o.dir), node));
dirOption(program.command('kubelet-answers <node>').description('the kubelet answers again'))
  .action(async (node: string, o: { dir?: string }) => kubeletAnswers(findCluster(o.dir), node));
dirOption(program.command('log-query <node> <on|off>').description('whether the kubelet serves /logs/?query= (else the /var/log listing)'))
  .action((node: string, on: string, o: { dir?: string }) => setLogQuery(findCluster(o.dir), node, on === 'on'));
dirOption(program.command('orphaned-volumes <node> [uid] [plugin] [name]').description('the kubelet cannot clean up the volume NAME (plugin e.g. kubernetes.io/nfs) of the gone pod UID; no UID: clean'))
  .action((node: string, uid: string | undefined, plugin: string | undefined, name: string | undefined, o: { dir?: string }) => {
    if (uid && (!plugin || !name)) throw new Error('orphaned-volumes NODE UID PLUGIN NAME');
    setOrphanedPods(findCluster(o.dir), node, uid ? [{ uid, volumes: [{ plugin: plugin!, name: name! }], since: new Date().toISOString() }] : []);
  });
dirOption(program.command('attacher <mode> [message]').description('ok | pause | resume | fail-attach MESSAGE | fail-detach MESSAGE'))
  .action((mode: AttacherMode, message: string | undefined, o: { dir?: string }) => setAttacher(findCluster(o.dir), mode, message));
dirOption(program.command('set-in-use <node> [volumes...]').description('pin unique volume names in the node\'s volumesInUse (none: unpin)'))
  .action((node: string, volumes: string[], o: { dir?: string }) => setInUse(findCluster(o.dir), node, volumes));
dirOption(program.command('scenario <name>').description(`build a story: ${SCENARIO_BY_NUMBER.map((s, i) => `${i + 1}|${s}`).join(', ')}`))
  .action(async (name: string, o: { dir?: string }) => {
    const result = await runScenario(findCluster(o.dir), name);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  });
dirOption(program.command('scenario-10-reconnect').description('story 10\'s second moment: its kubelet reaches the API server again, drops the force-deleted pod and fails to unmount its NFS volume'))
  .action(async (o: { dir?: string }) => {
    const state = findCluster(o.dir);
    const result = await reconnectStory10(state, await client(state.kubeconfig));
    process.stdout.write(`${JSON.stringify(result)}\n`);
  });

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`error: ${err.message}\n`);
  process.exitCode = 1;
});
