/**
 * Splunk HEC status codes and reply bodies, verbatim from Splunk's table (isovalent-content.md §5), plus the
 * few HTTP-level replies that have no HEC code (404, 405, 413, 415), shaped like splunkd's own
 * `{"text":"The requested URL was not found on this server.","code":404}`.
 */

export const HEC = {
  SUCCESS: 0,
  TOKEN_DISABLED: 1,
  TOKEN_REQUIRED: 2,
  INVALID_AUTHORIZATION: 3,
  INVALID_TOKEN: 4,
  NO_DATA: 5,
  INVALID_DATA_FORMAT: 6,
  INCORRECT_INDEX: 7,
  INTERNAL_ERROR: 8,
  SERVER_BUSY: 9,
  CHANNEL_MISSING: 10,
  INVALID_CHANNEL: 11,
  EVENT_REQUIRED: 12,
  EVENT_BLANK: 13,
  ACK_DISABLED: 14,
  INDEXED_FIELDS: 15,
  QUERY_STRING_AUTH: 16,
  HEALTHY: 17,
  UNHEALTHY_QUEUES_FULL: 18,
} as const;

export type HecCode = (typeof HEC)[keyof typeof HEC];

const TABLE: Record<HecCode, { status: number; text: string }> = {
  0: { status: 200, text: 'Success' },
  1: { status: 403, text: 'Token disabled' },
  2: { status: 401, text: 'Token is required' },
  3: { status: 401, text: 'Invalid authorization' },
  4: { status: 403, text: 'Invalid token' },
  5: { status: 400, text: 'No data' },
  6: { status: 400, text: 'Invalid data format' },
  7: { status: 400, text: 'Incorrect index' },
  8: { status: 500, text: 'Internal server error' },
  9: { status: 503, text: 'Server is busy' },
  10: { status: 400, text: 'Data channel is missing' },
  11: { status: 400, text: 'Invalid data channel' },
  12: { status: 400, text: 'Event field is required' },
  13: { status: 400, text: 'Event field cannot be blank' },
  14: { status: 400, text: 'ACK is disabled' },
  15: { status: 400, text: 'Error in handling indexed fields' },
  16: { status: 400, text: 'Query string authorization is not enabled' },
  17: { status: 200, text: 'HEC is healthy' },
  18: { status: 503, text: 'HEC is unhealthy, queues are full' },
};

/** A reply: HTTP status and the exact JSON body. */
export interface Reply {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** `{"text":…,"code":…}` with Splunk's HTTP status; `extra` adds `ackId` or `invalid-event-number` (key order as Splunk). */
export function hecReply(code: HecCode, extra?: { ackId?: number; invalidEventNumber?: number }): Reply {
  const row = TABLE[code];
  const body: Record<string, unknown> = { text: row.text, code };
  if (extra?.invalidEventNumber !== undefined) body['invalid-event-number'] = extra.invalidEventNumber;
  if (extra?.ackId !== undefined) body['ackId'] = extra.ackId;
  return { status: row.status, body };
}

export function httpReply(status: number, text: string, headers?: Record<string, string>): Reply {
  const r: Reply = { status, body: { text, code: status } };
  if (headers) r.headers = headers;
  return r;
}

export const NOT_FOUND_TEXT = 'The requested URL was not found on this server.';

/** A reply-carrying failure thrown inside request handling. */
export class HecFailure extends Error {
  constructor(readonly reply: Reply) {
    super(String(reply.body['text']));
    this.name = 'HecFailure';
  }
}

export function failure(code: HecCode, invalidEventNumber?: number): HecFailure {
  return new HecFailure(hecReply(code, invalidEventNumber === undefined ? undefined : { invalidEventNumber }));
}
