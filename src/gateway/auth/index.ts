export * from './password.js';
export * from './totp.js';
export * from './tokens.js';
export * from './rate-limit.js';
export * from './users.js';
export * from './authenticate.js';
export { ConfigError } from '../config/errors.js';
