/**
 * Kept for the export-path tests being rewritten on another branch (export-batch, export-credentials):
 * the factories live in test/helpers/factories.ts. Delete this file once nothing imports it.
 */
export { CATALOG, destination } from '../../helpers/factories.js';
