// The simulated kubelets' network: a network namespace named after the cluster, joined to the host by a veth
// pair. The namespace end carries one private address per node (the node's InternalIP, while its machine is on),
// the host end is the gateway of that /24, so the kube-apiserver (on 127.0.0.1 of the host) reaches every kubelet through its node
// proxy. The API server refuses to proxy to loopback or link-local addresses ("address not allowed"), and
// 10.0.0.0/8 is global unicast to it; a namespace of our own keeps those addresses off the machine's interfaces.
import { spawnSync } from 'node:child_process';
import { basename } from 'node:path';
import type { ClusterState, KubeletNetwork } from './state.js';
import { saveState } from './state.js';

const PREFIX = '10.231';
const KUBELET_PORT = 10250;

function ip(args: string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 30_000 });
  if (r.error) return { ok: false, out: '', err: r.error.message };
  return { ok: r.status === 0, out: r.stdout, err: r.stderr.trim() };
}

function must(args: string[]): string {
  const r = ip(args);
  if (!r.ok) throw new Error(`ip ${args.join(' ')} failed: ${r.err}`);
  return r.out;
}

const NEEDS = 'the simulated kubelets need a network namespace with a veth pair to the host: run as root (CAP_NET_ADMIN and CAP_SYS_ADMIN) with iproute2 (`ip netns`, veth links)';

/** Fails with what is needed when this process cannot create namespaces and links. */
export function checkCanCreateNetwork(): void {
  if (process.getuid?.() !== 0) throw new Error(`${NEEDS}; this process runs as uid ${process.getuid?.()}`);
  const r = ip(['netns', 'list']);
  if (!r.ok) throw new Error(`${NEEDS}; \`ip netns list\` failed: ${r.err}`);
}

/** Third octets of 10.231.X.0/24 already on an address or route of this machine (another cluster's). */
function subnetsInUse(): Set<number> {
  const used = new Set<number>();
  const text = must(['-4', 'addr', 'show']) + must(['-4', 'route', 'show', 'table', 'all']);
  for (const m of text.matchAll(/\b10\.231\.(\d+)\./g)) used.add(Number(m[1]));
  return used;
}

function routesTo(subnet: string): number {
  return must(['-4', 'route', 'show', subnet]).split('\n').filter((l) => l.trim()).length;
}

/**
 * Creates the namespace and links and gives node i the address .(10+i). The choice is recorded in state.json
 * before anything is created. Two clusters starting at once could pick the same /24: the loser sees two routes
 * to it, removes its own links and tries the next one.
 */
export function createKubeletNetwork(state: ClusterState): void {
  checkCanCreateNetwork();
  if (state.nodes.length > 240) throw new Error(`at most 240 nodes fit in one /24 of simulated kubelets, asked for ${state.nodes.length}`);
  const name = basename(state.dir);
  const suffix = name.slice(-6).replace(/[^A-Za-z0-9]/g, 'x');
  const start = [...name].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 7) % 250;
  for (let tries = 0; tries < 250; tries++) {
    const octet = ((start + tries) % 250) + 2;
    if (subnetsInUse().has(octet)) continue;
    const net: KubeletNetwork = { netns: name, hostLink: `vdh-${suffix}`, nsLink: `vdn-${suffix}`, subnet: `${PREFIX}.${octet}.0/24`, hostIp: `${PREFIX}.${octet}.1` };
    state.network = net;
    state.kubelets = Object.fromEntries(state.nodes.map((n, i) => [n, { ip: `${PREFIX}.${octet}.${10 + i + 1}`, port: KUBELET_PORT }]));
    saveState(state);
    try {
      must(['netns', 'add', net.netns]);
      must(['link', 'add', net.hostLink, 'type', 'veth', 'peer', 'name', net.nsLink, 'netns', net.netns]);
      must(['addr', 'add', `${net.hostIp}/24`, 'dev', net.hostLink]);
      must(['link', 'set', net.hostLink, 'up']);
      // One /32 per node, so that one node's address can go (its machine is off) without the others.
      for (const n of state.nodes) must(['-n', net.netns, 'addr', 'add', `${state.kubelets[n].ip}/32`, 'dev', net.nsLink]);
      must(['-n', net.netns, 'link', 'set', net.nsLink, 'up']);
      must(['-n', net.netns, 'link', 'set', 'lo', 'up']);
      must(['-n', net.netns, 'route', 'add', `${net.hostIp}/32`, 'dev', net.nsLink]);
    } catch (err) {
      removeKubeletNetwork(state);
      throw new Error(`${NEEDS}: ${(err as Error).message}`, { cause: err });
    }
    if (routesTo(net.subnet) === 1) return;
    removeKubeletNetwork(state);
  }
  throw new Error(`no free /24 under ${PREFIX}.0.0/16 for the simulated kubelets`);
}

/**
 * A node's address answers (its machine is on) or not (off): without it the host's ARP for the address goes
 * unanswered and the API server's node proxy gets no answer at all, as from a powered-off machine. A stopped
 * kubelet on a running machine refuses the connection instead.
 */
export function setMachineOn(state: ClusterState, node: string, on: boolean): void {
  const net = state.network;
  const at = state.kubelets?.[node];
  if (!net || !at) return;
  const has = ip(['-n', net.netns, '-4', 'addr', 'show', 'dev', net.nsLink]).out.includes(` ${at.ip}/32 `);
  if (on && !has) must(['-n', net.netns, 'addr', 'add', `${at.ip}/32`, 'dev', net.nsLink]);
  // The kernel drops the link's routes with its last address: the way back to the host goes with it.
  if (on) must(['-n', net.netns, 'route', 'replace', `${net.hostIp}/32`, 'dev', net.nsLink]);
  if (!on && has) must(['-n', net.netns, 'addr', 'del', `${at.ip}/32`, 'dev', net.nsLink]);
}

/** Removes the namespace and the host end of the veth pair (idempotent: after a crash, parts may be gone). */
export function removeKubeletNetwork(state: ClusterState): void {
  const net = state.network;
  if (!net) return;
  if (ip(['link', 'show', net.hostLink]).ok) must(['link', 'del', net.hostLink]);
  if (ip(['netns', 'list']).out.split('\n').some((l) => l.split(' ')[0] === net.netns)) must(['netns', 'del', net.netns]);
}
