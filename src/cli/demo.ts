#!/usr/bin/env node
// `npm run demo`: the whole system in one command, for a newcomer. It builds the lab
// (client, gateway and intranet network namespaces), starts a gateway with a fresh
// certificate and demo users, connects the headless client, shows curl, dig, ping and a
// denied request doing their thing, and removes everything it created.
import { execFileSync } from 'node:child_process';
import { startClient, type RunningClient } from '../lab/client-runner.js';
import { createGatewayLab, type GatewayLab } from '../lab/gateway-lab.js';
import { LAB, type ExecResult } from '../lab/netns.js';

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

function requireTools(): void {
  if (process.getuid?.() !== 0) {
    console.error('The demo builds network namespaces: run it as root (sudo npm run demo).');
    process.exit(1);
  }
  const missing = ['ip', 'curl', 'dig', 'ping', 'dnsmasq', 'openssl'].filter((tool) => {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    console.error(
      `Missing tools: ${missing.join(', ')}. On Debian: apt-get install iproute2 curl dnsutils iputils-ping dnsmasq-base openssl`,
    );
    process.exit(1);
  }
}

interface Step {
  title: string;
  argv: string[];
  expect: (r: ExecResult) => boolean;
}

const STEPS: Step[] = [
  {
    title: 'HTTP to an intranet server (it sees the gateway, not the client)',
    argv: ['curl', '-sS', '--max-time', '5', `http://${LAB.web}/whoami`],
    expect: (r) => r.stdout.trim() === LAB.gatewayPrivate,
  },
  {
    title: 'DNS query to the intranet DNS server (UDP through the tunnel)',
    argv: ['dig', '+short', '+time=3', '+tries=1', `@${LAB.dns}`, 'app.corp.test'],
    expect: (r) => r.stdout.trim() === LAB.web,
  },
  {
    title: 'an intranet name, resolved through the DNS the client set up',
    argv: ['curl', '-sS', '--max-time', '5', 'http://app.corp.test/'],
    expect: (r) => r.stdout.includes('hello from the intranet'),
  },
  {
    title: 'ping an intranet host (ICMP echo through the tunnel)',
    argv: ['ping', '-c', '3', '-i', '0.2', '-W', '2', LAB.web],
    expect: (r) => r.code === 0,
  },
  {
    title: 'a host the policy denies: refused at once',
    argv: ['curl', '-sS', '--max-time', '5', `http://${LAB.denied}/`],
    expect: (r) => r.code === 7,
  },
];

async function main(): Promise<number> {
  requireTools();
  let g: GatewayLab | undefined;
  let client: RunningClient | undefined;
  const cleanup = async () => {
    client?.child.kill('SIGTERM');
    if (client) await Promise.race([client.exited, new Promise((r) => setTimeout(r, 3000))]);
    client = undefined;
    await g?.down();
    g = undefined;
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    console.log(bold('1. The lab'));
    g = await createGatewayLab({ tag: 'demo' });
    console.log(`   client namespace   ${g.lab.client}: ${LAB.clientPublic}`);
    console.log(
      `   gateway namespace  ${g.lab.gateway}: ${LAB.gatewayPublic} (public), ${LAB.gatewayPrivate} (intranet)`,
    );
    console.log(
      `   intranet namespace ${g.lab.intranet}: web ${LAB.web}, DNS ${LAB.dns}, denied ${LAB.denied}`,
    );
    console.log(`   gateway on ${g.url}, certificate sha256 ${g.pki.fingerprint}`);
    console.log(
      '   policy: alice (staff) may reach web (tcp 80), dns and ping; nothing in 198.18.1.0/24',
    );

    console.log(bold('\n2. passerelle connect, as alice'));
    client = startClient(g, { user: 'alice' });
    await client.waitForState('connected');
    const connected = client.states().find((s) => s.kind === 'connected');
    console.log(`   connected; intranet IP ${String(connected?.intranetIp)}`);

    console.log(bold('\n3. Ordinary programs in the client namespace'));
    let failures = 0;
    for (const step of STEPS) {
      const started = Date.now();
      const r = await g.lab.exec(g.lab.client, step.argv, { timeoutMs: 15_000 });
      const ok = step.expect(r);
      if (!ok) failures++;
      console.log(`   [${ok ? 'ok' : 'FAILED'}] ${step.title} (${Date.now() - started} ms)`);
      console.log(`      $ ${step.argv.join(' ')}`);
      for (const line of `${r.stdout}${r.stderr}`.trim().split('\n').slice(0, 4))
        console.log(`      ${line}`);
    }

    console.log(bold('\n4. Disconnect and clean up'));
    client.child.kill('SIGTERM');
    await client.exited;
    client = undefined;
    const route = await g.lab.exec(g.lab.client, ['ip', 'route', 'get', LAB.web]);
    console.log(
      `   after disconnect the intranet is ${route.code === 0 ? 'STILL routed' : 'unreachable again'}`,
    );
    await cleanup();
    console.log('   namespaces removed');
    console.log(failures === 0 ? '\nEverything worked.' : `\n${failures} step(s) failed.`);
    return failures === 0 ? 0 : 1;
  } catch (err) {
    console.error(`demo failed: ${(err as Error).message}`);
    await cleanup();
    return 1;
  }
}

main().then((code) => process.exit(code));
