// npm run cluster -- <command>: a real local control plane for the e2e tests and the live demo.
import { Command } from 'commander';
import { down, status, up } from './controlplane.js';
import { findCluster } from './state.js';
import { nodeDown, nodeUp, setAttacher, setInUse, AttacherMode } from './controls.js';
import { runScenario, SCENARIO_BY_NUMBER } from './scenarios.js';

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
    for (const p of status(state)) process.stdout.write(`  ${p.name.padEnd(24)} pid ${String(p.pid).padEnd(8)} ${p.running ? 'running' : 'stopped'}\n`);
  });
dirOption(program.command('node-down <node>').description('the node stops heartbeating; its kubelet stops acting'))
  .action(async (node: string, o: { dir?: string }) => nodeDown(findCluster(o.dir), node));
dirOption(program.command('node-up <node>').description('the node heartbeats again'))
  .action(async (node: string, o: { dir?: string }) => nodeUp(findCluster(o.dir), node));
dirOption(program.command('attacher <mode> [message]').description('ok | pause | resume | fail-attach MESSAGE | fail-detach MESSAGE'))
  .action((mode: AttacherMode, message: string | undefined, o: { dir?: string }) => setAttacher(findCluster(o.dir), mode, message));
dirOption(program.command('set-in-use <node> [volumes...]').description('pin unique volume names in the node\'s volumesInUse (none: unpin)'))
  .action((node: string, volumes: string[], o: { dir?: string }) => setInUse(findCluster(o.dir), node, volumes));
dirOption(program.command('scenario <name>').description(`build a story: ${SCENARIO_BY_NUMBER.map((s, i) => `${i + 1}|${s}`).join(', ')}`))
  .action(async (name: string, o: { dir?: string }) => {
    const result = await runScenario(findCluster(o.dir), name);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  });

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`error: ${err.message}\n`);
  process.exitCode = 1;
});
