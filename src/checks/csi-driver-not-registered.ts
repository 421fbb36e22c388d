import { defineCheck, type FindingDraft } from './check.js';
import { nodeRef, podRef, pvRef, shortName } from '../util/refs.js';
import { finding } from './common.js';

const ID = 'csi-driver-not-registered';

export const csiDriverNotRegistered = defineCheck({
  id: ID,
  title: 'Pod on a node where its volume\'s CSI driver is not registered',
  severity: 'critical',
  reads: ['pods', 'persistentvolumeclaims', 'persistentvolumes', 'csinodes'],
  docs: `A pod waits on a node whose CSINode object does not list the CSI driver its volume needs. The kubelet cannot mount the volume until the driver's node plugin registers on that node; the kubelet reports "driver name X not found in the list of registered CSI drivers".

How Kubernetes gets there: the driver's node DaemonSet has no pod on that node (node selector, taints without tolerations, crash loop), or the node is new and the plugin has not started.

Confirm by hand:
  kubectl get csinode NODE -o jsonpath='{.spec.drivers[*].name}'
  kubectl get pods -A -o wide --field-selector spec.nodeName=NODE | grep -i csi

Safe fix: get the driver's node plugin running on that node (check its DaemonSet's tolerations and node selector).

Never: mount the backend volume on the node by hand.`,
  run(graph) {
    const findings: FindingDraft[] = [];
    for (const pod of graph.allPods()) {
      if (!pod.nodeName || !graph.isWaitingToStart(pod)) continue;
      const registered = graph.csiNodeDrivers(pod.nodeName);
      if (registered === undefined && !graph.wasRead('csinodes')) continue;
      if (registered === undefined && graph.snapshot.csiNodes.length === 0) continue; // no CSINode objects read at all
      for (const v of graph.podVolumes(pod)) {
        const driver = v.pv?.csi?.driver;
        if (!driver || registered?.includes(driver)) continue;
        findings.push(finding({
          severity: 'critical',
          subject: podRef(pod),
          idSuffix: v.pv!.name,
          related: [nodeRef(pod.nodeName), pvRef(v.pv!.name)],
          summary: `Pod ${shortName(pod)} cannot mount ${v.pv!.name}: CSI driver ${driver} is not registered on node ${pod.nodeName}`,
          evidence: [registered === undefined ? `node ${pod.nodeName} has no CSINode object` : `csinode/${pod.nodeName} lists: ${registered.join(', ') || 'no drivers'}`],
          explanation: `The kubelet on ${pod.nodeName} has no ${driver} node plugin registered, so it cannot stage or mount the volume.`,
          remedies: [`Check the ${driver} node plugin on ${pod.nodeName}: kubectl get pods -A -o wide --field-selector spec.nodeName=${pod.nodeName} | grep -i csi (DaemonSet tolerations and node selector).`],
          blocks: [podRef(pod)],
        }));
      }
    }
    return findings;
  },
});
