// Passwords live in the OS keychain (Secret Service on Linux, Keychain on macOS, Credential
// Manager on Windows) through keytar, and nowhere else: not in the settings file, not in logs.
export interface CredentialStore {
  get(account: string): Promise<string | null>;
  set(account: string, password: string): Promise<void>;
  /** Resolves true when something was removed. */
  delete(account: string): Promise<boolean>;
}

interface KeytarModule {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
}

export const KEYCHAIN_SERVICE = 'passerelle';

/** The keychain entry name of a profile, as the user sees it in Seahorse or Keychain Access. */
export function keychainAccount(profile: { username: string; gatewayUrl: string }): string {
  return `${profile.username}@${new URL(profile.gatewayUrl).host}`;
}

export class KeytarCredentialStore implements CredentialStore {
  private module: Promise<KeytarModule> | null = null;

  constructor(private readonly service: string = KEYCHAIN_SERVICE) {}

  // Loaded on first use: the native module needs libsecret and a session bus, and a missing
  // keychain must fail the call that needs it, not the start of the app.
  private keytar(): Promise<KeytarModule> {
    this.module ??= import('keytar').then((m) => (m.default ?? m) as KeytarModule);
    return this.module;
  }

  async get(account: string): Promise<string | null> {
    return (await this.keytar()).getPassword(this.service, account);
  }

  async set(account: string, password: string): Promise<void> {
    await (await this.keytar()).setPassword(this.service, account, password);
  }

  async delete(account: string): Promise<boolean> {
    return (await this.keytar()).deletePassword(this.service, account);
  }
}

/** Kept in memory only: for tests and for machines without a keychain. */
export class MemoryCredentialStore implements CredentialStore {
  private readonly entries = new Map<string, string>();

  async get(account: string): Promise<string | null> {
    return this.entries.get(account) ?? null;
  }

  async set(account: string, password: string): Promise<void> {
    this.entries.set(account, password);
  }

  async delete(account: string): Promise<boolean> {
    return this.entries.delete(account);
  }
}
