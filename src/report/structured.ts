import { dumpYaml } from '@kubernetes/client-node';

export function renderStructured(doc: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : dumpYaml(doc, { noRefs: true, lineWidth: -1 });
}
