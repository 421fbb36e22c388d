// Self-made certificates with openssl: a CA, the API server's serving cert, client certs per component and user.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function makeCa(dir: string): void {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '30', '-subj', '/CN=volume-doctor-test-ca'], dir);
}

/** A certificate signed by the CA. `san` makes it a serving certificate. */
export function makeCert(dir: string, name: string, subject: string, san?: string): { cert: string; key: string } {
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, san ? `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\n` : 'extendedKeyUsage=clientAuth\n');
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '30', '-extfile', ext], dir);
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

export function makeServiceAccountKeys(dir: string): { key: string; pub: string } {
  openssl(['genrsa', '-out', 'sa.key', '2048'], dir);
  openssl(['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
  return { key: join(dir, 'sa.key'), pub: join(dir, 'sa.pub') };
}
