import type { Logger } from 'pino';
import type { ConnectorConfig } from '../config/schema.js';
import type { Connector, InboundSink, StatusSink } from './connector.js';
import { AppleMspConnector } from './apple-msp.js';
import { SandboxConnector } from './sandbox.js';
import { SinchConnector } from './sinch.js';
import { WebhookConnector } from './webhook.js';
import { WhatsAppCloudConnector } from './whatsapp-cloud.js';

/** One connector per channel, by the channel's `connector.kind`. */
export function createConnector(config: ConnectorConfig, reportStatus: StatusSink, logger?: Logger, receiveInbound?: InboundSink): Connector {
  switch (config.kind) {
    case 'sandbox':
      return new SandboxConnector(reportStatus, config.reportDelayMs, receiveInbound);
    case 'whatsapp-cloud':
      return new WhatsAppCloudConnector(config);
    case 'sinch':
      return new SinchConnector(config, logger);
    case 'apple-msp':
      return new AppleMspConnector(config);
    case 'webhook':
      return new WebhookConnector(config);
  }
}
