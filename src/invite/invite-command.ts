import type { ChannelConfig, TenantConfig } from '../config/schema.js';
import type { KvList } from '../esp/kvlist.js';

/** An InviteToChat request that passed validation, in the domain's words. */
export interface InviteCommand extends SharedInviteParameters {
  /** `_umsClientId`: the customer's phone number or opaque Apple id. */
  clientId: string;
}

/** Everything of an invite but its recipient: what a campaign's rows share. */
export interface SharedInviteParameters {
  tenant: TenantConfig;
  channel: ChannelConfig;
  /** `_umsBusinessId`: one of the channel's business ids. */
  businessId: string;
  standardResponseId: string | null;
  /** Resolved: `ChatQueueKey`, else the channel's `inboundRouteByCall`. */
  chatQueueKey: string;
  /** `TerminateSessionFlag`: end the session right after the send. */
  terminate: boolean;
  contact: KvList;
  agent: KvList;
  customProperties: KvList;
  userData: KvList;
  /** From `UserData.GCTI_Chat_SubmitAsOutbound`. */
  outbound: boolean;
}
