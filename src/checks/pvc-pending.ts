import { defineCheck, type FindingDraft } from './check.js';
import type { EventFact, ObjectRef, PvcFact } from '../model/snapshot.js';
import type { Graph } from '../graph.js';
import { podRef, pvcRef, shortName } from '../util/refs.js';
import { formatDuration, toMillis } from '../util/time.js';
import { classificationLine, classifyVolumeMessage } from './classify-message.js';
import { finding } from './common.js';
import { schedulingVolumeReasons } from './pod-scheduling-blocked-by-volume.js';
import { WAITING_POD_GRACE_MS } from './thresholds.js';

const ID = 'pvc-pending';

function latest(events: EventFact[], reason: string): EventFact | undefined {
  return events.filter((e) => e.reason === reason).sort((a, b) => (b.lastTimestamp ?? '').localeCompare(a.lastTimestamp ?? ''))[0];
}

/** `waiting for a volume to be created, either by external provisioner "X" or manually ...` */
function provisionerIn(message: string): string | undefined {
  return /external provisioner "([^"]+)"/.exec(message)?.[1];
}

interface Diagnosis {
  cause: string;
  evidence: string[];
  remedies: string[];
  severity?: 'info';
  /** What the shared message table makes of the provisioner's error, for the explanation. */
  likelyCause?: string;
}

function diagnose(graph: Graph, pvc: PvcFact, users: ReturnType<Graph['allPods']>): Diagnosis {
  const events = graph.eventsFor('PersistentVolumeClaim', pvc.namespace, pvc.name);
  const classes = graph.snapshot.storageClasses;
  const className = pvc.storageClassName;
  const sc = className ? classes.find((c) => c.name === className) : undefined;
  const failed = latest(events, 'ProvisioningFailed');
  const external = latest(events, 'ExternalProvisioning');
  if (className === undefined && !pvc.volumeName) {
    const defaults = classes.filter((c) => c.isDefault);
    if (defaults.length === 0 && graph.wasRead('storageclasses')) {
      return {
        cause: 'it names no StorageClass and the cluster has no default StorageClass',
        evidence: [`storage classes: ${classes.map((c) => c.name).join(', ') || 'none'}; none is annotated storageclass.kubernetes.io/is-default-class=true`],
        remedies: ['Set spec.storageClassName on the claim (recreate it), or mark a class as default: kubectl patch storageclass NAME -p \'{"metadata":{"annotations":{"storageclass.kubernetes.io/is-default-class":"true"}}}\''],
      };
    }
  }
  if (className && !sc && graph.wasRead('storageclasses')) {
    return {
      cause: `StorageClass "${className}" does not exist`,
      evidence: [`storage classes: ${classes.map((c) => c.name).join(', ') || 'none'}`],
      remedies: [`Create StorageClass ${className}, or recreate the claim with an existing class (storageClassName cannot be changed on a claim).`],
    };
  }
  if (className === '' && !pvc.volumeName) {
    return {
      cause: 'it asks for no StorageClass (storageClassName: "") and waits for a matching pre-created PersistentVolume',
      evidence: [`available volumes: ${graph.allPvs().filter((v) => v.phase === 'Available').map((v) => v.name).join(', ') || 'none'}`],
      remedies: ['Create a PersistentVolume that matches the claim\'s size and access modes (or set spec.volumeName), or use a StorageClass that provisions.'],
    };
  }
  if (failed) {
    const cls = classifyVolumeMessage(failed.message, { phase: 'provision' });
    return {
      cause: `provisioning failed: ${failed.message}`,
      evidence: [`event ProvisioningFailed (x${failed.count}, last ${failed.lastTimestamp ?? 'unknown'}${failed.component ? `, from ${failed.component}` : ''}): ${failed.message}`, classificationLine(cls)],
      remedies: [...(cls ? [cls.nextStep] : []), 'Fix what the provisioner reports (quota, parameters of the StorageClass, backend capacity); it retries by itself.'],
      likelyCause: cls?.cause,
    };
  }
  const provisioner = (external && provisionerIn(external.message)) ?? sc?.provisioner;
  if (sc?.volumeBindingMode === 'WaitForFirstConsumer') {
    const scheduled = users.filter((p) => p.nodeName);
    if (users.length === 0) {
      return {
        cause: `StorageClass ${sc.name} binds on first use (WaitForFirstConsumer) and no pod uses the claim yet`,
        evidence: [`storageclass/${sc.name}: volumeBindingMode WaitForFirstConsumer`],
        remedies: ['Nothing is wrong: the volume is created when a pod that uses the claim is scheduled.'],
        severity: 'info',
      };
    }
    if (scheduled.length === 0) {
      return {
        cause: `StorageClass ${sc.name} binds on first use and pod ${users.map(shortName).join(', ')} is not scheduled yet`,
        evidence: users.map((p) => `pod ${shortName(p)}: ${p.conditions.find((c) => c.type === 'PodScheduled')?.reason ?? p.phase}`),
        remedies: users.map((p) => (schedulingVolumeReasons(graph, p).length
          ? `The scheduler gives a volume reason for pod ${shortName(p)}: see the pod-scheduling-blocked-by-volume finding for pod ${shortName(p)}.`
          : `Find out why pod ${shortName(p)} is not scheduled: kubectl describe pod ${p.name} -n ${p.namespace} (resources, node affinity, the volume's topology).`)),
      };
    }
  }
  if (provisioner && provisioner.includes('.') && !provisioner.startsWith('kubernetes.io/')) {
    const driverObject = graph.hasCsiDriverObject(provisioner);
    const registered = graph.snapshot.csiNodes.filter((n) => n.drivers.includes(provisioner)).map((n) => n.name);
    if (!driverObject && registered.length === 0 && graph.wasRead('csidrivers') && graph.wasRead('csinodes')) {
      return {
        cause: `it waits for provisioner ${provisioner}, but no CSI driver ${provisioner} is installed (no CSIDriver object, no node registers it)`,
        evidence: [external ? `event ExternalProvisioning: ${external.message}` : `storageclass/${className}: provisioner ${provisioner}`],
        remedies: [`Install the ${provisioner} CSI driver (its controller runs the external-provisioner), or use a StorageClass whose provisioner is installed.`],
      };
    }
    if (registered.length === 0 && graph.wasRead('csinodes') && graph.snapshot.csiNodes.length > 0) {
      return {
        cause: `it waits for provisioner ${provisioner}, whose node plugin is registered on no node`,
        evidence: [`no CSINode lists ${provisioner}`],
        remedies: [`Check the ${provisioner} node plugin DaemonSet: kubectl get pods -A -o wide | grep -i csi`],
      };
    }
    return {
      cause: `it waits for provisioner ${provisioner} to create the volume`,
      evidence: external ? [`event ExternalProvisioning (x${external.count}): ${external.message}`] : [],
      remedies: [`Check the ${provisioner} controller (its csi-provisioner container's logs): kubectl get pods -A | grep -i csi`],
    };
  }
  return { cause: 'it is not bound to a volume yet', evidence: [], remedies: [`kubectl describe pvc ${pvc.name} -n ${pvc.namespace}`] };
}

export const pvcPending = defineCheck({
  id: ID,
  title: 'PersistentVolumeClaim stays Pending',
  severity: 'critical',
  reads: ['persistentvolumeclaims', 'storageclasses', 'csidrivers', 'csinodes', 'pods', 'events'],
  docs: `A claim has been Pending for more than a minute. volume-doctor says why: it names no StorageClass and there is no default class; its StorageClass does not exist; provisioning failed (the ProvisioningFailed event is quoted, with what it means and a safe next step when volume-doctor recognises it: cloud quota, capacity, zone, permissions, a missing StorageClass, a local provisioner without WaitForFirstConsumer, gRPC status codes); it waits for an external provisioner whose CSI driver is not installed or not registered on any node; it binds on first use (WaitForFirstConsumer) and no pod uses it yet, or the pod is not scheduled; or it asks for storageClassName "" and no matching PersistentVolume exists.

How Kubernetes gets there: the PersistentVolume controller binds a claim to an existing volume that fits, or, when its StorageClass has a provisioner, hands it over (the ExternalProvisioning event) and waits for that provisioner to create one. If the class is missing, there is no default class, the CSI driver's controller (with its external-provisioner) is not installed or not running, or the backend refuses (quota, capacity, zone, parameters: the provisioner records ProvisioningFailed and retries with backoff), nothing binds and the claim stays Pending. With volumeBindingMode WaitForFirstConsumer, provisioning waits on purpose until a pod that uses the claim is scheduled.

Pods using a Pending claim cannot be scheduled (or, with WaitForFirstConsumer, wait for the claim).

Confirm by hand:
  kubectl describe pvc NAME -n NS      (Events: ExternalProvisioning, ProvisioningFailed, WaitForFirstConsumer)
  kubectl get storageclass; kubectl get csidrivers; kubectl get csinodes -o yaml

Safe fix: as the cause says. A claim's storageClassName cannot be changed: recreate the claim.

Never: hand-create a PersistentVolume pointing at storage another volume already uses.`,
  run(graph) {
    const findings: FindingDraft[] = [];
    for (const pvc of graph.snapshot.pvcs) {
      if (pvc.phase !== 'Pending' || pvc.deletionTimestamp) continue;
      const age = graph.now - (toMillis(pvc.creationTimestamp) ?? graph.now);
      if (age < WAITING_POD_GRACE_MS) continue;
      const users = graph.podsUsingClaim(pvc.namespace, pvc.name).filter((p) => !p.deletionTimestamp);
      const d = diagnose(graph, pvc, users);
      const related: ObjectRef[] = [...users.map(podRef)];
      if (pvc.storageClassName) related.push({ kind: 'StorageClass', name: pvc.storageClassName });
      findings.push(finding({
        severity: d.severity ?? (users.length ? 'critical' : 'warning'),
        subject: pvcRef(pvc),
        related,
        summary: `Claim ${shortName(pvc)} has been Pending for ${formatDuration(age)}: ${d.cause}${users.length && d.severity !== 'info' ? `; ${users.map(shortName).join(', ')} cannot start` : ''}`,
        evidence: [`persistentvolumeclaim/${pvc.name} -n ${pvc.namespace}: Pending, storageClassName ${pvc.storageClassName === undefined ? '(unset)' : `"${pvc.storageClassName}"`}`, ...d.evidence],
        explanation: `A Pending claim has no volume yet; pods that use it cannot start until it binds.${d.likelyCause ? ` Likely cause of the provisioning failure: ${d.likelyCause}.` : ''}`,
        remedies: d.remedies,
        since: pvc.creationTimestamp,
        blocks: d.severity === 'info' ? [] : users.map(podRef),
      }));
    }
    return findings;
  },
});
