/** A string kvitem of the XML form. */
export const kv = (key: string, value: string) => `<kvitem><key>${key}</key><value><ValueString>${value}</ValueString></value></kvitem>`;

/** A list kvitem of the XML form. */
export const list = (key: string, items: string) => `<kvitem><key>${key}</key><value><ValueList>${items}</ValueList></value></kvitem>`;

/** The same invite in the four wire forms of docs/protocol.md#wire-forms (client id varied by the caller). */
export function invitesFor(clientId: string) {
  const json = JSON.stringify({
    ReferenceId: 7,
    Request: {
      AppName: 'IVR_Main',
      Service: 'ChatService',
      Method: 'InviteToChat',
      Parameters: {
        _umsChannel: 'whatsapp-main',
        _umsClientId: clientId,
        _umsBusinessId: '+15550001111',
        StandardResponseId: 'order_ready',
        Contact: { FirstName: 'Ana', LastName: 'Silva' },
        CustomProperties: { OrderId: 'A-1042', Track: 'A1042' },
      },
    },
    UserData: { GCTI_Chat_SubmitAsOutbound: 'true', LastCalledAgent_EmployeeID: 'ag7102', StoreName: 'Main St' },
  });

  const xml =
    '<?xml version="1.0" encoding="UTF-8"?><Request3rdServer><ReferenceId>7</ReferenceId><Request>' +
    kv('AppName', 'IVR_Main') + kv('Service', 'ChatService') + kv('Method', 'InviteToChat') +
    list('Parameters',
      kv('_umsChannel', 'whatsapp-main') + kv('_umsClientId', clientId) + kv('_umsBusinessId', '+15550001111') +
      kv('StandardResponseId', 'order_ready') + list('Contact', kv('FirstName', 'Ana') + kv('LastName', 'Silva')) +
      list('CustomProperties', kv('OrderId', 'A-1042') + kv('Track', 'A1042'))) +
    '</Request><UserData>' + kv('GCTI_Chat_SubmitAsOutbound', 'true') + kv('LastCalledAgent_EmployeeID', 'ag7102') + kv('StoreName', 'Main St') +
    '</UserData></Request3rdServer>';

  const tabLog = [
    "12:00:01.123 Trc 04541 Message Request3rdServer sent to 'DMS_01'",
    '\tAttributeReferenceID\t7',
    '\tAttributeRequest\t[212] 00 05 00 00..',
    "\t\t'AppName'\t'IVR_Main'",
    "\t\t'Service'\t'ChatService'",
    "\t\t'Method'\t'InviteToChat'",
    "\t\t'Parameters'(list)\t'_umsChannel'\t'whatsapp-main'",
    `\t\t\t'_umsClientId'\t'${clientId}'`,
    "\t\t\t'_umsBusinessId'\t'+15550001111'",
    "\t\t\t'StandardResponseId'\t'order_ready'",
    "\t\t\t'Contact'(list)\t'FirstName'\t'Ana'",
    "\t\t\t\t'LastName'\t'Silva'",
    "\t\t\t'{l}CustomProperties'(list)\t'OrderId'\t'A-1042'",
    "\t\t\t\t'Track'\t'A1042'",
    '\tAttributeUserData\t[61] 00 02 00 00..',
    "\t\t'GCTI_Chat_SubmitAsOutbound'\t'true'",
    "\t\t'LastCalledAgent_EmployeeID'\t'ag7102'",
    "\t\t'StoreName'\t'Main St'",
  ].join('\n');

  const typedLog = [
    "12:00:01.123 Sending to 'DMS_01': 'Request3rdServer' (",
    '\tattr_ref_id [int] = 7',
    "\t'Request' [list] =",
    "\t\t'AppName' [str] = \"IVR_Main\"",
    "\t\t'Service' [str] = \"ChatService\"",
    "\t\t'Method' [str] = \"InviteToChat\"",
    "\t\t'Parameters' [list] =",
    "\t\t\t'_umsChannel' [str] = \"whatsapp-main\"",
    `\t\t\t'_umsClientId' [str] = "${clientId}"`,
    "\t\t\t'_umsBusinessId' [str] = \"+15550001111\"",
    "\t\t\t'StandardResponseId' [str] = \"order_ready\"",
    "\t\t\t'Contact' [list] =",
    "\t\t\t\t'FirstName' [str] = \"Ana\"",
    "\t\t\t\t'LastName' [str] = \"Silva\"",
    "\t\t\t'CustomProperties' [list] =",
    "\t\t\t\t'OrderId' [str] = \"A-1042\"",
    "\t\t\t\t'Track' [str] = \"A1042\"",
    "\t'UserData' [list] =",
    "\t\t'GCTI_Chat_SubmitAsOutbound' [str] = \"true\"",
    "\t\t'LastCalledAgent_EmployeeID' [str] = \"ag7102\"",
    "\t\t'StoreName' [str] = \"Main St\"",
    ')',
  ].join('\n');

  return [
    { form: 'json', contentType: 'application/json', body: json },
    { form: 'xml', contentType: 'application/xml', body: xml },
    { form: 'tab log', contentType: 'text/plain', body: tabLog },
    { form: 'typed log', contentType: 'text/plain', body: typedLog },
  ];
}
