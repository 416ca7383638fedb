import type { ConnectorConfig } from '../config/schema.js';
import type { Connector, StatusSink } from './connector.js';
import { AppleMspConnector } from './apple-msp.js';
import { SandboxConnector } from './sandbox.js';
import { WebhookConnector } from './webhook.js';
import { WhatsAppCloudConnector } from './whatsapp-cloud.js';

/** Connector kinds this build can send with; the real providers arrive with their own modules. */
export const AVAILABLE_CONNECTOR_KINDS = ['sandbox', 'whatsapp-cloud', 'apple-msp', 'webhook'] as const;

export function isConnectorAvailable(kind: string): boolean {
  return (AVAILABLE_CONNECTOR_KINDS as readonly string[]).includes(kind);
}

export function createConnector(config: ConnectorConfig, reportStatus: StatusSink): Connector {
  switch (config.kind) {
    case 'sandbox':
      return new SandboxConnector(reportStatus, config.reportDelayMs);
    case 'whatsapp-cloud':
      return new WhatsAppCloudConnector(config);
    case 'apple-msp':
      return new AppleMspConnector(config);
    case 'webhook':
      return new WebhookConnector(config);
    default:
      throw new Error(`connector kind "${config.kind}" is not available in this build (available: ${AVAILABLE_CONNECTOR_KINDS.join(', ')})`);
  }
}
