#!/usr/bin/env node
// The part of fpm that electron-builder's deb target uses (`fpm -s dir -t deb …`), done with
// Debian's own dpkg-deb. electron-builder downloads a Ruby build of fpm from the internet,
// which our build machines cannot reach, and Debian has no fpm package; `npm run dist` and the
// packaging test point CUSTOM_FPM_PATH at this file instead. Everything that goes into the
// package (files, depends, maintainer scripts) is still decided by electron-builder and
// electron-builder.yml: this only writes what it is given, and refuses any option it does not
// know rather than ignore it.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const SCRIPTS = {
  '--before-install': 'preinst',
  '--after-install': 'postinst',
  '--before-remove': 'prerm',
  '--after-remove': 'postrm',
};
const VALUE_OPTIONS = new Set([
  '-s',
  '-t',
  '-d',
  '--deb-recommends',
  '--deb-compression',
  '--architecture',
  '--description',
  '--version',
  '--package',
  '--name',
  '--maintainer',
  '--vendor',
  '--url',
  '--deb-priority',
  '--category',
  '--license',
  '--iteration',
  '--log',
  ...Object.keys(SCRIPTS),
]);
const FLAGS = new Set(['--force', '--debug']);

function fail(message) {
  console.error(`fpm-deb: ${message}`);
  process.exit(1);
}

function parse(argv) {
  const options = { depends: [], recommends: [], scripts: {}, mappings: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (FLAGS.has(arg)) continue;
    if (!arg.startsWith('-')) {
      const at = arg.indexOf('=');
      if (at <= 0) fail(`not a source=destination mapping: ${arg}`);
      options.mappings.push({ source: arg.slice(0, at), target: arg.slice(at + 1) });
      continue;
    }
    if (!VALUE_OPTIONS.has(arg)) fail(`option not supported: ${arg}`);
    const value = argv[++i];
    if (value === undefined) fail(`${arg} needs a value`);
    if (arg === '-d') options.depends.push(value);
    else if (arg === '--deb-recommends') options.recommends.push(value);
    else if (arg in SCRIPTS) options.scripts[SCRIPTS[arg]] = value;
    else options[arg.replace(/^-+/, '')] = value;
  }
  if (options.s !== 'dir') fail('only -s dir is supported');
  if (options.t !== 'deb') fail('only -t deb is supported');
  for (const required of ['name', 'version', 'architecture', 'package', 'maintainer']) {
    if (!options[required]) fail(`--${required} is required`);
  }
  return options;
}

/** fpm's rule: "dir/=dest" copies the folder's contents, "file=dest" the file itself. */
function stage(root, { source, target }) {
  const destination = join(root, target);
  if (statSync(source).isDirectory()) {
    mkdirSync(destination, { recursive: true });
    execFileSync('cp', ['-a', '--', `${source.replace(/\/$/, '')}/.`, destination]);
  } else {
    mkdirSync(dirname(destination), { recursive: true });
    execFileSync('cp', ['-a', '--', source, destination]);
  }
}

/** Debian's Description: the synopsis, then each further line indented, "." for blank ones. */
function description(text) {
  const [synopsis = '', ...rest] = (text ?? '').trim().split('\n');
  const body = rest.map((line) => (line.trim() === '' ? ' .' : ` ${line.trim()}`));
  return [synopsis.trim() || 'no description', ...body].join('\n');
}

const options = parse(process.argv.slice(2));
const root = mkdtempSync(join(tmpdir(), 'fpm-deb-'));
try {
  for (const mapping of options.mappings) stage(root, mapping);
  const control = join(root, 'DEBIAN');
  mkdirSync(control, { mode: 0o755 });
  // The archive's "./" entry: mkdtemp made it 0700, and it stands for the system's root.
  chmodSync(root, 0o755);
  for (const [name, file] of Object.entries(options.scripts)) {
    copyFileSync(file, join(control, name));
    chmodSync(join(control, name), 0o755);
  }
  const installedKiB = execFileSync('du', ['-sk', '--exclude=DEBIAN', root], {
    encoding: 'utf8',
  }).split('\t')[0];
  const version = options.iteration ? `${options.version}-${options.iteration}` : options.version;
  const fields = [
    ['Package', options.name],
    ['Version', version],
    ['License', options.license],
    ['Vendor', options.vendor],
    ['Architecture', options.architecture],
    ['Maintainer', options.maintainer],
    ['Installed-Size', installedKiB],
    ['Depends', options.depends.join(', ')],
    ['Recommends', options.recommends.join(', ')],
    ['Section', options.category ?? 'default'],
    ['Priority', options['deb-priority'] ?? 'optional'],
    ['Homepage', options.url],
    ['Description', description(options.description)],
  ];
  writeFileSync(
    join(control, 'control'),
    `${fields
      .filter(([, value]) => value)
      .map(([key, value]) => `${key}: ${value}`)
      .join('\n')}\n`,
  );
  const sums = execFileSync(
    'sh',
    [
      '-c',
      'cd "$1" && find . -path ./DEBIAN -prune -o -type f -print0 | sort -z | xargs -0r md5sum',
      'sh',
      root,
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  writeFileSync(join(control, 'md5sums'), sums.replace(/ {2}\.\//g, '  '));
  rmSync(options.package, { force: true });
  execFileSync(
    'dpkg-deb',
    [
      '--root-owner-group',
      `-Z${options['deb-compression'] ?? 'xz'}`,
      '--build',
      root,
      options.package,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  console.log(`fpm-deb: wrote ${options.package}`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
// Read once more so that a truncated write fails here, not at install time.
readFileSync(options.package);
