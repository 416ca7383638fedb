import { WA_BUSINESS_ID } from './gateway.js';

/** The JSON form of an InviteToChat for the sample `order_ready` template, to vary per test. */
export function jsonInvite(overrides: { parameters?: Record<string, unknown>; request?: Record<string, unknown>; userData?: Record<string, unknown> | null; referenceId?: number } = {}) {
  const body: Record<string, unknown> = {
    ReferenceId: overrides.referenceId ?? 7,
    Request: {
      AppName: 'IVR_Main',
      Service: 'ChatService',
      Method: 'InviteToChat',
      ...overrides.request,
      Parameters: {
        _umsChannel: 'whatsapp-main',
        _umsClientId: '+15551230001',
        _umsBusinessId: WA_BUSINESS_ID,
        StandardResponseId: 'order_ready',
        Contact: { FirstName: 'Ana', LastName: 'Silva' },
        CustomProperties: { OrderId: 'A-1042', Track: 'A1042' },
        ...overrides.parameters,
      },
    },
  };
  if (overrides.userData !== null) {
    body.UserData = { GCTI_Chat_SubmitAsOutbound: 'true', LastCalledAgent_EmployeeID: 'ag7102', StoreName: 'Main St', ...overrides.userData };
  }
  return body;
}
