import yaml from 'js-yaml';

export function renderStructured(doc: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : yaml.dump(doc, { noRefs: true, lineWidth: -1, schema: yaml.CORE_SCHEMA });
}
