export * from '../../src/lab/gateway-lab.js';
