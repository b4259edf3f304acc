export * from '../../src/lab/pki.js';
