// Longhorn-shaped CRDs (longhorn.io/v1beta2, namespaced, used in longhorn-system), written from the fields
// Longhorn's own controllers write; the test cluster has no longhorn-manager, so scenarios write the objects as it would.
 
type Raw = any;

export const LONGHORN_DRIVER = 'driver.longhorn.io';
export const LONGHORN_NS = 'longhorn-system';

const str = { type: 'string' };
const int = { type: 'integer' };
const bool = { type: 'boolean' };
const open = (properties: Record<string, unknown>) => ({ type: 'object', properties, 'x-kubernetes-preserve-unknown-fields': true });
const map = (values: unknown) => ({ type: 'object', additionalProperties: values });
const condition = open({ type: str, status: str, reason: str, message: str, lastTransitionTime: str });

function crd(kind: string, plural: string, shortName: string, schema: Record<string, unknown>, columns: { name: string; jsonPath: string }[] = [], status = true): Raw {
  return {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.longhorn.io` },
    spec: {
      group: 'longhorn.io', scope: 'Namespaced',
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), shortNames: [shortName] },
      versions: [{
        name: 'v1beta2', served: true, storage: true,
        ...(status ? { subresources: { status: {} } } : {}),
        additionalPrinterColumns: columns.map((c) => ({ ...c, type: 'string' })),
        schema: { openAPIV3Schema: { type: 'object', properties: { apiVersion: str, kind: str, metadata: { type: 'object' }, ...schema } } },
      }],
    },
  };
}

export function longhornCrds(): Raw[] {
  return [
    crd('Volume', 'volumes', 'lhv', {
      spec: open({ nodeID: str, numberOfReplicas: int, size: str, frontend: str }),
      status: open({
        state: str, robustness: str, currentNodeID: str, conditions: { type: 'array', items: condition },
        kubernetesStatus: open({ pvName: str, pvStatus: str, namespace: str, pvcName: str, workloadsStatus: { type: 'array', items: open({}) } }),
      }),
    }, [{ name: 'State', jsonPath: '.status.state' }, { name: 'Robustness', jsonPath: '.status.robustness' }, { name: 'Node', jsonPath: '.status.currentNodeID' }]),
    crd('Replica', 'replicas', 'lhr', {
      spec: open({ volumeName: str, nodeID: str, diskID: str, diskPath: str, dataDirectoryName: str, failedAt: str }),
      status: open({ currentState: str, instanceManagerName: str }),
    }, [{ name: 'State', jsonPath: '.status.currentState' }, { name: 'Node', jsonPath: '.spec.nodeID' }, { name: 'Disk', jsonPath: '.spec.diskID' }]),
    crd('Engine', 'engines', 'lhe', {
      spec: open({ volumeName: str, nodeID: str }),
      status: open({ currentState: str, replicaModeMap: map(str) }),
    }, [{ name: 'State', jsonPath: '.status.currentState' }, { name: 'Node', jsonPath: '.spec.nodeID' }]),
    crd('Node', 'nodes', 'lhn', {
      spec: open({ disks: map(open({ path: str, allowScheduling: bool })) }),
      status: open({ diskStatus: map(open({ diskUUID: str, storageAvailable: int })) }),
    }),
    // A Setting carries its value at the top level, not in spec, and has no status.
    crd('Setting', 'settings', 'lhs', { value: str }, [{ name: 'Value', jsonPath: '.value' }], false),
    crd('VolumeAttachment', 'volumeattachments', 'lhva', {
      spec: open({ volume: str, attachmentTickets: map(open({ id: str, type: str, nodeID: str, generation: int })) }),
      status: open({ attachmentTicketStatuses: map(open({ id: str, satisfied: bool, conditions: { type: 'array', items: condition } })) }),
    }),
  ];
}

const meta = (name: string) => ({ name, namespace: LONGHORN_NS });

/** Objects as longhorn-manager writes them; status goes through the status subresource afterwards. */
export const lh = {
  volume: (name: string, nodeID: string) => ({
    apiVersion: 'longhorn.io/v1beta2', kind: 'Volume', metadata: meta(name),
    spec: { nodeID, numberOfReplicas: 2, size: '1073741824', frontend: 'blockdev' },
  }),
  volumeStatus: (state: string, robustness: string, nodeID: string, pvName: string, pvc: { namespace: string; name: string }) => ({
    state, robustness, currentNodeID: state === 'attached' ? nodeID : '',
    kubernetesStatus: { pvName, pvStatus: 'Bound', namespace: pvc.namespace, pvcName: pvc.name, workloadsStatus: [] },
    conditions: [{ type: 'Scheduled', status: 'True', reason: '', message: '', lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }],
  }),
  replica: (name: string, volume: string, nodeID: string, diskID: string) => ({
    apiVersion: 'longhorn.io/v1beta2', kind: 'Replica', metadata: meta(name),
    spec: { volumeName: volume, nodeID, diskID, diskPath: '/var/lib/longhorn/', dataDirectoryName: `${volume}-${name.slice(-4)}`, failedAt: '' },
  }),
  engine: (name: string, volume: string, nodeID: string) => ({
    apiVersion: 'longhorn.io/v1beta2', kind: 'Engine', metadata: meta(name), spec: { volumeName: volume, nodeID },
  }),
  node: (name: string, disk: string) => ({
    apiVersion: 'longhorn.io/v1beta2', kind: 'Node', metadata: meta(name),
    spec: { disks: { [disk]: { path: '/var/lib/longhorn/', allowScheduling: true } } },
  }),
  setting: (name: string, value: string) => ({ apiVersion: 'longhorn.io/v1beta2', kind: 'Setting', metadata: meta(name), value }),
  attachment: (volume: string, ticket: string, nodeID: string) => ({
    apiVersion: 'longhorn.io/v1beta2', kind: 'VolumeAttachment', metadata: meta(volume),
    spec: { volume, attachmentTickets: { [ticket]: { id: ticket, type: 'csi-attacher', nodeID, generation: 0 } } },
  }),
};
