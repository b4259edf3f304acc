/**
 * A configuration file that cannot be used. `problems` lists every problem found, each as
 * `<path>: <reason>` (e.g. `[2].password: not a scrypt hash …`); the message repeats them one
 * per line, prefixed with the file, ready to print.
 */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(problems.map((p) => `${file}: ${p}`).join('\n') || `${file}: invalid`);
    this.name = 'ConfigError';
  }
}
