import type { TenantConfig } from '../config/schema.js';
import { EspFault, fault } from '../esp/faults.js';
import type { InviteToChat } from '../invite/invite-to-chat.js';
import { validateSharedParameters } from '../invite/validate-invite.js';
import type { SessionIdGenerator } from '../sessions/session-id.js';
import type { StandardResponseCatalog } from '../templates/catalog.js';
import { checkColumnsCanRender, dryRunCampaign, type DryRunReport } from './campaign-check.js';
import { campaignRequestList, type CampaignRunner } from './campaign-runner.js';
import type { CampaignRowData, CampaignStore } from './campaign-store.js';

/** What `POST /campaigns` read: the shared parameters and the rows, which a CSV streams. */
export interface CampaignUpload {
  name: string;
  parameters: Record<string, unknown>;
  userData: Record<string, string>;
  rows: AsyncIterable<CampaignRowData> | Iterable<CampaignRowData>;
  /** The file's columns (`_umsClientId`, `Contact.FirstName` …): a CSV's header once read, every key a JSON recipient uses. */
  columns: Set<string>;
}

export interface UploadCampaignDependencies {
  campaigns: CampaignStore;
  runner: CampaignRunner;
  inviteToChat: InviteToChat;
  catalog: StandardResponseCatalog;
  ids: SessionIdGenerator;
}

/** Rows written to Redis per round trip while a file streams in. */
const ROWS_PER_WRITE = 1000;

/**
 * Stores a campaign (docs/protocol.md#campaigns): the shared parameters validated as an InviteToChat
 * would (same faults), then the rows streamed into Redis in batches; the campaign starts once
 * every row is stored. A refusal discards whatever was stored.
 */
export async function storeCampaign(deps: UploadCampaignDependencies, tenant: TenantConfig, upload: CampaignUpload, createdAt: Date): Promise<{ campaignId: string; rows: number }> {
  checkSharedParameters(deps.catalog, tenant, upload);
  const campaignId = deps.ids.next();
  await deps.campaigns.create({ campaignId, name: upload.name, tenant: tenant.id, parameters: upload.parameters, userData: upload.userData, createdAt: createdAt.toISOString() });
  let rows = 0;
  try {
    rows = await storeRows(deps, tenant, upload, campaignId);
    await deps.campaigns.start(campaignId, rows);
  } catch (error) {
    await deps.campaigns.discard(campaignId);
    throw error;
  }
  await deps.runner.kick(campaignId);
  return { campaignId, rows };
}

/**
 * The rows, in batches. A file whose columns cannot render any row is refused whole (checked once
 * its first row, and so a CSV's header, is read). The rest is still read, unstored, so that a body
 * fault (size, CSV syntax) is answered first, as the contract's fault order says.
 */
async function storeRows(deps: UploadCampaignDependencies, tenant: TenantConfig, upload: CampaignUpload, campaignId: string): Promise<number> {
  let rows = 0;
  let columnsRefusal: EspFault | undefined;
  let batch: { row: number; clientId: string; data: CampaignRowData }[] = [];
  for await (const data of upload.rows) {
    if (rows === 0) columnsRefusal = await refusalOfColumns(deps.inviteToChat, tenant, upload);
    rows++;
    if (columnsRefusal) continue;
    batch.push({ row: rows, clientId: data._umsClientId ?? '', data });
    if (batch.length === ROWS_PER_WRITE) {
      await deps.campaigns.appendRows(campaignId, batch);
      batch = [];
    }
  }
  if (columnsRefusal) throw columnsRefusal;
  if (batch.length > 0) await deps.campaigns.appendRows(campaignId, batch);
  return rows;
}

async function refusalOfColumns(inviteToChat: InviteToChat, tenant: TenantConfig, upload: CampaignUpload): Promise<EspFault | undefined> {
  try {
    await checkColumnsCanRender(inviteToChat, tenant, upload, upload.columns);
    return undefined;
  } catch (error) {
    if (error instanceof EspFault) return error;
    throw error;
  }
}

/** A dry run: the shared parameters checked as for a real upload, then every row (docs/protocol.md#campaign-dry-run). */
export async function checkCampaign(deps: Pick<UploadCampaignDependencies, 'catalog' | 'inviteToChat'>, tenant: TenantConfig, upload: CampaignUpload): Promise<DryRunReport> {
  checkSharedParameters(deps.catalog, tenant, upload);
  return dryRunCampaign(deps.inviteToChat, tenant, upload, upload.rows);
}

/** The shared parameters as an invite's, a campaign's own rule first: it needs a standard response. */
function checkSharedParameters(catalog: StandardResponseCatalog, tenant: TenantConfig, upload: CampaignUpload): void {
  const shared = validateSharedParameters({ request: campaignRequestList(upload.parameters) }, tenant);
  if (!shared.standardResponseId) throw fault('missingParameter', 'StandardResponseId is required for a campaign');
  catalog.require(shared.standardResponseId);
}
