export * from '../../src/lab/client-runner.js';
