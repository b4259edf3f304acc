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

const openssl = (dir: string, args: string[]) =>
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });

/** Signs gw.csr with the lab CA into gw.crt (a new serial: a new certificate each time). */
function signGatewayCertificate(dir: string): void {
  openssl(dir, [
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
}

function newGatewayKey(dir: string): void {
  openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'gw.key']);
  openssl(dir, [
    'req',
    '-new',
    '-key',
    'gw.key',
    '-subj',
    '/CN=gateway.corp.test',
    '-out',
    'gw.csr',
  ]);
}

/**
 * Replaces gw.crt in a lab made by makePki: a renewal with the same key, or (newKey) a new key
 * as well, which is what a certificate swapped by someone else looks like to a pinned client.
 */
export function reissueGatewayCertificate(dir: string, options: { newKey: boolean }): void {
  if (options.newKey) newGatewayKey(dir);
  signGatewayCertificate(dir);
}

export function makePki(dir: string, gatewayIp: string): LabPki {
  const o = (args: string[]) => openssl(dir, args);
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
  newGatewayKey(dir);
  const ext = `subjectAltName=IP:${gatewayIp},DNS:gateway.corp.test\nextendedKeyUsage=serverAuth\n`;
  writeFileSync(join(dir, 'ext.cnf'), ext);
  signGatewayCertificate(dir);
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
