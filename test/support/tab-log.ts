/** Tab-style request block from a client, as URS logs it: `parameters[0]` on the Parameters line, the rest below it. */
export function tabRequest(time: string, peer: string, ref: number, parameters: string[]): string[] {
  return [
    `${time} Trc 04541 Message Request3rdServer sent to '${peer}'`,
    `\tAttributeReferenceID\t${ref}`,
    '\tAttributeRequest\t[212] 00 05 00 00..',
    "\t\t'AppName'\t'IVR_Main'",
    "\t\t'Service'\t'ChatService'",
    "\t\t'Method'\t'InviteToChat'",
    `\t\t'Parameters'(list)\t${parameters[0]}`,
    ...parameters.slice(1).map((line) => `\t\t\t${line}`),
    '\tAttributeUserData\t[61] 00 02 00 00..',
    "\t\t'GCTI_Chat_SubmitAsOutbound'\t'true'",
    "\t\t'StoreName'\t'Main St'",
    "\t\t'PhoneNumber'\t'+15557770001'",
  ];
}

/** The Event3rdServerResponse a peer answered with, tab-style. */
export function tabResponse(time: string, peer: string, ref: number, sessionId = '0000GaBNKN2Q0021'): string[] {
  return [
    `${time} Trc 04542 Message Event3rdServerResponse received from '${peer}'`,
    `\tAttributeReferenceID\t${ref}`,
    '\tAttributeRequest\t[40] 00 01 00 00..',
    `\t\t'_umsChatSessionId'\t'${sessionId}'`,
  ];
}
