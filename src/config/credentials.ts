import { createHash } from 'node:crypto';
import type { ConnectorConfig } from './schema.js';

const fingerprints = new WeakMap<ConnectorConfig, string>();

/**
 * A hash of a connector's whole configuration, secrets included (64 hex characters). A channel
 * stopped for its credentials stays stopped only while this is unchanged: new credentials resume it.
 */
export function credentialsFingerprint(connector: ConnectorConfig): string {
  let fingerprint = fingerprints.get(connector);
  if (!fingerprint) {
    fingerprint = createHash('sha256').update(JSON.stringify(connector)).digest('hex');
    fingerprints.set(connector, fingerprint);
  }
  return fingerprint;
}
