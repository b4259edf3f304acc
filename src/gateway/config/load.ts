// Loading the configuration: YAML → schema → the files it names (TLS, users). Every problem
// is collected with its path so `check` can list them all, and a bad file is refused whole:
// `serve` never starts, and a reload keeps the running configuration.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { loadUsers, type UserDirectory } from '../auth/users.js';
import { resolveFrontLimits, type FrontLimits } from '../front/limits.js';
import { ConfigError } from './errors.js';
import { validateConfig, type GatewayConfigFile } from './schema.js';

export interface LoadedConfig {
  path: string;
  file: GatewayConfigFile;
  users: UserDirectory;
  usersPath: string;
  tls: { cert: Buffer; key: Buffer; fingerprint256: string };
  auditPath: string | undefined;
  /** The front door's limits sized for this machine (limits.ts). */
  front: FrontLimits;
}

async function readText(
  path: string,
  what: string,
  problems: string[],
): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    problems.push(
      `${what}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
    return undefined;
  }
}

export async function loadConfig(configPath: string): Promise<LoadedConfig> {
  const path = resolve(configPath);
  const fatal: string[] = [];
  const raw = await readText(path, 'config', fatal);
  if (!raw) throw new ConfigError(path, fatal);

  // linePos is only filled in by prettyErrors; the line counter gives the position without the
  // multi-line excerpt.
  const lines = new LineCounter();
  const document = parseDocument(raw.toString('utf8'), {
    prettyErrors: false,
    uniqueKeys: true,
    lineCounter: lines,
  });
  if (document.errors.length > 0) {
    throw new ConfigError(
      path,
      document.errors.map((e) => {
        const at = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
        return `${at ? `line ${at.line}, column ${at.col}` : 'YAML'}: ${e.message.split('\n')[0]}`;
      }),
    );
  }
  const validated = validateConfig(document.toJS());
  if (!validated.ok) throw new ConfigError(path, validated.problems);
  const file = validated.config;

  const base = dirname(path);
  const { limits: front, problems } = resolveFrontLimits(file);
  const certPath = resolve(base, file.tls.cert);
  const keyPath = resolve(base, file.tls.key);
  const cert = await readText(certPath, 'tls.cert', problems);
  const key = await readText(keyPath, 'tls.key', problems);
  let fingerprint256 = '';
  if (cert && key) {
    try {
      const x509 = new X509Certificate(cert);
      fingerprint256 = x509.fingerprint256;
      try {
        if (!x509.checkPrivateKey(createPrivateKey(key))) {
          problems.push(`tls.key: ${keyPath} does not match the certificate ${certPath}`);
        }
      } catch (err) {
        problems.push(`tls.key: ${keyPath} is not a PEM private key (${(err as Error).message})`);
      }
    } catch (err) {
      problems.push(`tls.cert: ${certPath} is not a PEM certificate (${(err as Error).message})`);
    }
  }

  const usersPath = resolve(base, file.auth.users);
  let users: UserDirectory | undefined;
  try {
    users = await loadUsers(usersPath);
  } catch (err) {
    if (err instanceof ConfigError) problems.push(...err.problems.map((p) => `auth.users: ${p}`));
    else problems.push(`auth.users: ${(err as Error).message}`);
  }

  if (problems.length > 0 || !users || !cert || !key) throw new ConfigError(path, problems);
  return {
    path,
    file,
    users,
    usersPath,
    tls: { cert, key, fingerprint256 },
    auditPath: file.audit ? resolve(base, file.audit) : undefined,
    front,
  };
}
