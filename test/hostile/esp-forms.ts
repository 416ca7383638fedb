/** An ESP value as the hostile cases vary it: a string, an integer or a nested list. */
export type EspValue = string | number | { [key: string]: EspValue };
export type EspList = Record<string, EspValue>;

/** One Request3rdServer, independent of its wire form. */
export interface EspMessage {
  referenceId?: number | string;
  request: EspList;
  userData?: EspList;
}

export interface WireForm {
  name: 'JSON' | 'XML' | 'tab log' | 'typed log';
  contentType: string;
  write(message: EspMessage): string;
}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function xmlItems(list: EspList): string {
  return Object.entries(list)
    .map(([key, value]) => {
      const inner = typeof value === 'number' ? `<ValueInt>${value}</ValueInt>` : typeof value === 'string' ? `<ValueString>${escapeXml(value)}</ValueString>` : `<ValueList>${xmlItems(value)}</ValueList>`;
      return `<kvitem><key>${escapeXml(key)}</key><value>${inner}</value></kvitem>`;
    })
    .join('');
}

function tabItems(list: EspList, depth: number): string[] {
  const indent = '\t'.repeat(depth);
  return Object.entries(list).flatMap(([key, value]) =>
    typeof value === 'object' ? [`${indent}'${key}'(list)`, ...tabItems(value, depth + 1)] : [`${indent}'${key}'\t${typeof value === 'number' ? value : `'${value}'`}`],
  );
}

function typedItems(list: EspList, depth: number): string[] {
  const indent = '\t'.repeat(depth);
  return Object.entries(list).flatMap(([key, value]) =>
    typeof value === 'object'
      ? [`${indent}'${key}' [list] =`, ...typedItems(value, depth + 1)]
      : [typeof value === 'number' ? `${indent}'${key}' [int] = ${value}` : `${indent}'${key}' [str] = "${value}"`],
  );
}

/** The four forms of docs/protocol.md#wire-forms the gateway reads on POST /esp. */
export const WIRE_FORMS: WireForm[] = [
  {
    name: 'JSON',
    contentType: 'application/json',
    write: ({ referenceId, request, userData }) => JSON.stringify({ ReferenceId: referenceId, Request: request, UserData: userData }),
  },
  {
    name: 'XML',
    contentType: 'application/xml',
    write: ({ referenceId, request, userData }) =>
      '<?xml version="1.0" encoding="UTF-8"?><Request3rdServer>' +
      (referenceId === undefined ? '' : `<ReferenceId>${referenceId}</ReferenceId>`) +
      `<Request>${xmlItems(request)}</Request>` +
      (userData === undefined ? '' : `<UserData>${xmlItems(userData)}</UserData>`) +
      '</Request3rdServer>',
  },
  {
    name: 'tab log',
    contentType: 'text/plain',
    write: ({ referenceId, request, userData }) =>
      [
        "12:00:01.123 Trc 04541 Message Request3rdServer sent to 'DMS_01'",
        ...(referenceId === undefined ? [] : [`\tAttributeReferenceID\t${referenceId}`]),
        '\tAttributeRequest\t[212] 00 05 00 00..',
        ...tabItems(request, 2),
        ...(userData === undefined ? [] : ['\tAttributeUserData\t[61] 00 02 00 00..', ...tabItems(userData, 2)]),
      ].join('\n'),
  },
  {
    name: 'typed log',
    contentType: 'text/plain',
    write: ({ referenceId, request, userData }) =>
      [
        "12:00:01.123 Sending to 'DMS_01': 'Request3rdServer' (",
        ...(referenceId === undefined ? [] : [`\tattr_ref_id [int] = ${referenceId}`]),
        "\t'Request' [list] =",
        ...typedItems(request, 2),
        ...(userData === undefined ? [] : ["\t'UserData' [list] =", ...typedItems(userData, 2)]),
        ')',
      ].join('\n'),
  },
];
