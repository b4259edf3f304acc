// The lab lives in src/lab so that `npm run demo` and the benchmarks use the same code.
export * from '../../src/lab/netns.js';
