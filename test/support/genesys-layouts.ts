/**
 * One InviteToChat request in each layout real Genesys servers log it (domain.md 1.3 and 2.5),
 * with the same parameters, for the replay and `POST /esp` tests. Tabs are real tabs.
 */
export const LAYOUT_PARAMETERS = {
  _umsChannel: 'whatsapp-main',
  _umsClientId: '+15557770001',
  _umsBusinessId: '+15550001111',
  StandardResponseId: 'order_ready',
  CustomProperties: { OrderId: 'A-1001', Track: 'a1001' },
};

/** The Request list's items, tab style, one indent below `indent`. */
function tabRequestItems(indent: string): string[] {
  return [
    `${indent}\t'AppName'\t'IVR_Main'`,
    `${indent}\t'Service'\t'ChatService'`,
    `${indent}\t'Method'\t'InviteToChat'`,
    `${indent}\t'Parameters'(list)\t'_umsChannel'\t'whatsapp-main'`,
    `${indent}\t\t'_umsClientId'\t'+15557770001'`,
    `${indent}\t\t'_umsBusinessId'\t'+15550001111'`,
    `${indent}\t\t'StandardResponseId'\t'order_ready'`,
    `${indent}\t\t'CustomProperties'(list)\t'OrderId'\t'A-1001'`,
    `${indent}\t\t\t'Track'\t'a1001'`,
  ];
}

function tabBody(referenceId: number, extraAttributes: string[] = []): string[] {
  return [`\tAttributeReferenceID\t${referenceId}`, ...extraAttributes, '\tAttributeRequest\t[212] 00 05 00 00..', ...tabRequestItems('\t'), '\tAttributeUserData\t[61] 00 02 00 00..', "\t\t'GCTI_Chat_SubmitAsOutbound'\t'true'", "\t\t'StoreName'\t'Main St'"];
}

const PSDK_REQUEST = [
  'AttributeRequest [bstr] = KVList: ',
  "\t'AppName' [str] = \"IVR_Main\"",
  "\t'Service' [str] = \"ChatService\"",
  "\t'Method' [str] = \"InviteToChat\"",
  "\t'Parameters' [list] = ",
  "\t\t'_umsChannel' [str] = \"whatsapp-main\"",
  "\t\t'_umsClientId' [str] = \"+15557770001\"",
  "\t\t'_umsBusinessId' [str] = \"+15550001111\"",
  "\t\t'StandardResponseId' [str] = \"order_ready\"",
  "\t\t'CustomProperties' [list] = ",
  "\t\t\t'OrderId' [str] = \"A-1001\"",
  "\t\t\t'Track' [str] = \"a1001\"",
];

export interface Layout {
  name: string;
  /** The request as logged, header first. */
  lines: (referenceId: number) => string[];
}

export const GENESYS_LAYOUTS: Layout[] = [
  {
    name: 'request to <n>(<type>) message Request3rdServer (peer not quoted)',
    lines: (ref) => [`12:00:01.101 request to 65200(IxnServer) message Request3rdServer`, ...tabBody(ref)],
  },
  {
    name: "Trc 04542 Message Request3rdServer sent to <n> (<type> '<name>')",
    lines: (ref) => [`12:00:01.102 Trc 04542 Message Request3rdServer sent to 30 (DMS 'DMS_01')`, ...tabBody(ref)],
  },
  {
    name: 'a pointer (0x…) after the message name',
    lines: (ref) => [`12:00:01.103 Trc 04541 Message Request3rdServer (0x2aaab89e5d50) sent to 'DMS_02'`, ...tabBody(ref)],
  },
  {
    name: 'a bare hex attribute value (AttributeConnID)',
    lines: (ref) => [`12:00:01.104 Trc 04541 Message Request3rdServer sent to 'DMS_03'`, ...tabBody(ref, ['\tAttributeConnID\t006c029a6685d004'])],
  },
  {
    name: "the PSDK printout ('Request3rdServer' ('4'), message attributes:, [long]/[int]/[str]/[bstr], KVList:)",
    lines: (ref) => [
      `12:00:01.105 Sending to 'DMS_04': 'Request3rdServer' ('4')`,
      'message attributes:',
      `AttributeReferenceID [int] = ${ref}`,
      'AttributeConnID [long] = 006c029a6685d004',
      'AttributeThisDNRole [int] = 2 [RoleDestination]',
      'AttributeThisDN [str] = "7001"',
      ...PSDK_REQUEST,
      'AttributeUserData [bstr] = KVList: ',
      "\t'GCTI_Chat_SubmitAsOutbound' [str] = \"true\"",
      "\t'StoreName' [str] = \"Main St\"",
    ],
  },
  {
    name: "the PSDK printout without a peer ('Request3rdServer' ('4') alone on its line)",
    lines: (ref) => [
      `'Request3rdServer' ('4')`,
      'message attributes:',
      `AttributeReferenceID [int] = ${ref}`,
      ...PSDK_REQUEST,
      'AttributeUserData [bstr] = KVList: ',
      "\t'StoreName' [str] = \"Main St\"",
    ],
  },
];
