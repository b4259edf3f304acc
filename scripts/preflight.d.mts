// Types of preflight.mjs for the TypeScript tests that import it.
export interface Probe {
  hasProgram(name: string): boolean;
  exists(path: string): boolean;
  uid: number;
}
export type Mode = 'install' | 'test' | 'test-ui' | 'ui-preview';
export const MODES: Record<Mode, { what: string; root: boolean; checks: unknown[] }>;
export const SYSTEM: Probe;
export function findProblems(mode: Mode, probe?: Probe): { packages: string[]; problems: string[] };
export function report(
  mode: Mode,
  found: { packages: string[]; problems: string[] },
): string | null;
