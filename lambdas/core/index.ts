/** The pure decision core: no AWS SDK imports, no I/O. */
export * from './compiled-config.js';
export * from './config.js';
export * from './decide.js';
export * from './errors.js';
export * from './field-path.js';
export * from './payload.js';
export * from './profile.js';
export * from './profile-merge.js';
export * from './reasons.js';
