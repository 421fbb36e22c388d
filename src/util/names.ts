// Kubernetes' own name rules (apimachinery's IsDNS1123Label and IsDNS1123Subdomain), in its words. Used for the
// names a user types and for the names the readers accept from a server or a dump.
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_RULE = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name' or '123-abc')";
const SUBDOMAIN_RULE = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')";

/** Why `value` cannot be a namespace, or undefined if it can. */
export function invalidLabel(value: string): string | undefined {
  if (value.length > 63) return 'must be no more than 63 characters';
  return LABEL.test(value) ? undefined : LABEL_RULE;
}

/** Why `value` cannot be the name of a pod, claim, volume, node or VolumeAttachment, or undefined if it can. */
export function invalidSubdomain(value: string): string | undefined {
  if (value.length > 253) return 'must be no more than 253 characters';
  return SUBDOMAIN.test(value) ? undefined : SUBDOMAIN_RULE;
}
