// A throwaway CA and gateway certificate for a lab run, made with the openssl CLI.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LabPki {
  caCert: string;
  cert: string;
  key: string;
  /** SHA-256 fingerprint of the gateway certificate, "AB:CD:…". */
  fingerprint: string;
}

export function makePki(dir: string, gatewayIp: string): LabPki {
  const o = (args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  o(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
  o([
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-subj',
    '/CN=Passerelle lab CA',
    '-days',
    '2',
    '-out',
    'ca.crt',
  ]);
  o(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'gw.key']);
  o(['req', '-new', '-key', 'gw.key', '-subj', '/CN=gateway.corp.test', '-out', 'gw.csr']);
  const ext = `subjectAltName=IP:${gatewayIp},DNS:gateway.corp.test\nextendedKeyUsage=serverAuth\n`;
  writeFileSync(join(dir, 'ext.cnf'), ext);
  o([
    'x509',
    '-req',
    '-in',
    'gw.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
    '-out',
    'gw.crt',
  ]);
  const fingerprint = o(['x509', '-in', 'gw.crt', '-noout', '-fingerprint', '-sha256'])
    .toString()
    .trim()
    .replace(/^.*=/, '');
  return {
    caCert: join(dir, 'ca.crt'),
    cert: join(dir, 'gw.crt'),
    key: join(dir, 'gw.key'),
    fingerprint,
  };
}
