import type { TenantConfig } from '../config/schema.js';
import { EspFault, fault } from '../esp/faults.js';
import type { InviteToChat } from '../invite/invite-to-chat.js';
import { MissingFieldCode } from '../templates/field-codes.js';
import { rowRequest, type CampaignShared } from './campaign-runner.js';
import type { CampaignRowData } from './campaign-store.js';

/** Faults a dry run lists; the counts go on past them. */
const LISTED_FAULTS = 100;
/** Rows of a dry run rendered at the same time (enrichment lookups are network round trips). */
const ROWS_AT_ONCE = 20;

export interface DryRunReport {
  rows: number;
  wouldSend: number;
  duplicate: number;
  refused: number;
  faults: { row: number; FaultCode: number; FaultString: string }[];
}

/**
 * `POST /campaigns?dryRun=true` (docs/protocol.md#campaigns): every row validated and rendered as the campaign
 * would, enrichment included, through the InviteToChat dry run: nothing is stored or sent. A
 * recipient seen before in the file is a `duplicate`, as the stored campaign counts it.
 */
export async function dryRunCampaign(
  inviteToChat: InviteToChat,
  tenant: TenantConfig,
  shared: CampaignShared,
  rows: AsyncIterable<CampaignRowData> | Iterable<CampaignRowData>,
): Promise<DryRunReport> {
  const report: DryRunReport = { rows: 0, wouldSend: 0, duplicate: 0, refused: 0, faults: [] };
  const recipients = new Set<string>();
  let batch: Promise<void>[] = [];
  for await (const data of rows) {
    const row = ++report.rows;
    const clientId = data._umsClientId ?? '';
    if (clientId !== '' && recipients.has(clientId)) {
      report.duplicate++;
      continue;
    }
    if (clientId !== '') recipients.add(clientId);
    batch.push(dryRunRow(inviteToChat, tenant, shared, data, row, report));
    if (batch.length === ROWS_AT_ONCE) {
      await Promise.all(batch);
      batch = [];
    }
  }
  await Promise.all(batch);
  report.faults.sort((a, b) => a.row - b.row);
  return report;
}

async function dryRunRow(inviteToChat: InviteToChat, tenant: TenantConfig, shared: CampaignShared, data: CampaignRowData, row: number, report: DryRunReport): Promise<void> {
  try {
    await inviteToChat.invite(rowRequest(shared, data), { tenant, dryRun: true });
    report.wouldSend++;
  } catch (error) {
    if (!(error instanceof EspFault)) throw error;
    report.refused++;
    // Rows finish out of order within a batch: keep the lowest row numbers.
    report.faults.push({ row, FaultCode: error.faultCode, FaultString: error.message });
    if (report.faults.length > LISTED_FAULTS) {
      report.faults.sort((a, b) => a.row - b.row);
      report.faults.length = LISTED_FAULTS;
    }
  }
}

/** Stands for any value a column or the CRM lookup could give (a plain word every channel accepts). */
const ANY_VALUE = 'x';
const ANY_CLIENT_ID = '+10000000000';

/**
 * The check a real upload makes before storing anything: could *any* row of this file render? A
 * made-up row with a value in every column of the file (and every key the channel's CRM lookup
 * saves) is rendered without a lookup. If even that row lacks a field code the standard response
 * needs, or the standard response cannot go on the channel (1020), every row would be refused the
 * same way: the upload is refused whole, naming the column. Other faults are left to the rows.
 */
export async function checkColumnsCanRender(inviteToChat: InviteToChat, tenant: TenantConfig, shared: CampaignShared, columns: Iterable<string>): Promise<void> {
  const fullest = fullestRow(columns, enrichmentKeys(tenant, shared));
  try {
    await inviteToChat.invite(rowRequest(shared, fullest), { tenant, dryRun: true, withoutEnrichment: true });
  } catch (error) {
    if (error instanceof MissingFieldCode) {
      throw fault(
        'renderingFailed',
        `field code <$${error.fieldCode}$> has no value in any row: the file has no ${columnFor(error.fieldCode)} column and the shared parameters do not give it, so every row would be refused`,
      );
    }
    if (error instanceof EspFault && error.faultCode === 1020) throw error;
  }
}

/** A row with a value in each of `columns` (`_umsClientId`, `Contact.<Field>` …) and `extra`. */
function fullestRow(columns: Iterable<string>, extra: string[]): CampaignRowData {
  const row: CampaignRowData = { _umsClientId: ANY_CLIENT_ID };
  for (const column of [...columns, ...extra]) {
    const dot = column.indexOf('.');
    const list = column.slice(0, dot) as 'Contact' | 'Agent' | 'CustomProperties' | 'UserData';
    if (dot < 0 || !['Contact', 'Agent', 'CustomProperties', 'UserData'].includes(list)) continue;
    (row[list] ??= Object.create(null) as Record<string, string>)[column.slice(dot + 1)] = ANY_VALUE;
  }
  return row;
}

/** `CustomProperties.<Key>` / `UserData.<Key>` the channel's CRM lookup may fill. */
function enrichmentKeys(tenant: TenantConfig, shared: CampaignShared): string[] {
  const channelName = shared.parameters._umsChannel;
  const channel = tenant.channels.find((candidate) => candidate.name === channelName) ?? (tenant.channels.length === 1 ? tenant.channels[0] : undefined);
  const save = channel?.enrichment?.response.save ?? {};
  return Object.entries(save).flatMap(([group, keys]) => Object.keys(keys).map((key) => `${group}.${key}`));
}

/** The column that gives a field code its value: `Interaction.AttachedData('K')` is `UserData.K`. */
function columnFor(fieldCode: string): string {
  const attached = /^Interaction\.AttachedData\((["'])(.*)\1\)$/s.exec(fieldCode);
  if (attached) return `UserData.${attached[2]}`;
  return fieldCode;
}
