// `node bench/abandoned-flows.mjs` (after `npm run build`): what connections that
// applications abandon leave behind (issue #8, finding 8). A measurement, not a test: it
// prints one JSON line per step and asserts nothing; test/e2e/hostile-client.test.ts is the test.
//
// The slow target is 198.18.0.11:80 in the intranet; a policy rule there blackholes its
// answers while it is "held back" (see the test). A: 20 × `curl --connect-timeout 1` while
// the target is silent, then the target answers again (the gateway's connect timeout is 30 s,
// so connects still under way then succeed). B: 20 × `curl --connect-timeout 0.3`, the
// target answering about a second later, after curl left. After each: flows open in the
// engine (SIGUSR1 stats) and at the gateway (metrics), the gateway's descriptors, and the
// target's sockets.
import { readdirSync } from 'node:fs';
import { ROOT, createGatewayLab, exampleConfig } from '../dist/lab/gateway-lab.js';
import { startClient } from '../dist/lab/client-runner.js';

const SLOW = '198.18.0.11';
const N = 20;
const config = exampleConfig('timeouts: { tcpConnectSeconds: 30 }\n')
  .replace(
    '  - { name: secret,',
    `  - { name: slow, address: ${SLOW}/32, ports: [80], protocols: [tcp] }\n  - { name: secret,`,
  )
  .replace('allow: [web, dns, ping, echo]', 'allow: [web, dns, ping, echo, slow]');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const g = await createGatewayLab({ tag: 'af', config });
try {
  const { lab } = g;
  await lab.exec(lab.intranet, ['ip', 'addr', 'add', `${SLOW}/32`, 'dev', 'lo']);
  await lab.exec(lab.intranet, ['ip', 'route', 'add', 'blackhole', 'default', 'table', '100']);
  const server = lab.spawn(lab.intranet, [
    'node',
    `${ROOT}/dist/lab/intranet-server.js`,
    SLOW,
    '80',
  ]);
  await new Promise((resolve) => server.stdout.once('data', resolve));
  const client = startClient(g);
  await client.waitForState('connected');
  const holdBack = (on) =>
    lab.exec(lab.intranet, ['ip', 'rule', on ? 'add' : 'del', 'from', SLOW, 'table', '100']);
  const abandon = (seconds) =>
    lab.exec(lab.client, ['curl', '-s', '--connect-timeout', seconds, `http://${SLOW}/`]);
  const report = async (step) => {
    const metric = await g.metrics();
    const sockets = await lab.exec(lab.intranet, [
      'ss',
      '-Htn',
      'state',
      'connected',
      'src',
      `${SLOW}:80`,
    ]);
    console.log(
      JSON.stringify({
        step,
        engineTcpFlows: (await client.stats()).flows.tcp,
        gatewayTcpFlows: metric('passerelle_flows_active{protocol="tcp"}') || 0,
        gatewayDescriptors: readdirSync(`/proc/${g.gateway.pid}/fd`).length,
        targetConnections: sockets.stdout.split('\n').filter((l) => l.trim()).length,
      }),
    );
  };

  await report('baseline');
  await holdBack(true);
  for (let i = 0; i < N; i++) await abandon('1');
  await report(`A: ${N} abandoned, target silent`);
  await sleep(5_000);
  await report('A: 5 s later');
  await holdBack(false);
  await sleep(31_000);
  await report('A: the target answering again, 31 s later');
  for (let i = 0; i < N; i++) {
    await holdBack(true);
    await abandon('0.3');
    await holdBack(false);
    await sleep(1_200);
  }
  await report(`B: ${N} answered after curl left`);
  await sleep(5_000);
  await report('B: 5 s later');
  client.child.kill('SIGTERM');
  await client.exited;
} finally {
  await g.down();
}
