// The logging app, Coco's reference app (as in CCF): users record, read and delete
// messages by numeric id, privately (encrypted in the ledger) or publicly (in clear).
//   POST   /app/log/private  {"id": n, "msg": "..."}     GET/DELETE /app/log/private?id=n
//   POST   /app/log/public   {"id": n, "msg": "..."}     GET/DELETE /app/log/public?id=n
import type { Endpoint, JsonSchema } from '../../rpc/endpoint.js';
import { ApiError } from '../../rpc/api-error.js';
import { userCertAuth } from '../../rpc/auth-policies.js';

/** Longest message accepted, in characters. */
export const logMessageLengthMax = 64 * 1024;

const RECORD: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'msg'],
  properties: {
    id: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    msg: { type: 'string', maxLength: logMessageLengthMax },
  },
};

const ID_QUERY: JsonSchema = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^(0|[1-9][0-9]{0,15})$' } },
};

const MESSAGE: JsonSchema = {
  type: 'object',
  required: ['msg'],
  properties: { msg: { type: 'string' } },
};

interface LogRecord {
  readonly id: number;
  readonly msg: string;
}

function queryId(query: URLSearchParams): number {
  const id = Number(query.get('id'));
  if (!Number.isSafeInteger(id)) throw new ApiError('InvalidInput', 'query id must be a whole number below 2^53');
  return id;
}

function recordEndpoints(visibility: 'private' | 'public'): Endpoint[] {
  const mapName = `${visibility}:logging.records`;
  const path = `/app/log/${visibility}`;
  const auth = [userCertAuth];
  const post: Endpoint<LogRecord> = {
    method: 'POST',
    path,
    mode: 'readwrite',
    auth,
    summary: `Record a ${visibility} message under a numeric id (replacing any earlier one)`,
    requestSchema: RECORD,
    responseSchema: { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } },
    handler: ({ tx, body }) => {
      tx.map<number, string>(mapName).set(body.id, body.msg);
      return { body: { id: body.id } };
    },
  };
  const get: Endpoint = {
    method: 'GET',
    path,
    mode: 'readonly',
    auth,
    summary: `Read the ${visibility} message with an id`,
    querySchema: ID_QUERY,
    responseSchema: MESSAGE,
    handler: ({ tx, query }) => {
      const id = queryId(query);
      const msg = tx.map<number, string>(mapName).get(id);
      if (msg === undefined) throw new ApiError('ResourceNotFound', `no ${visibility} message with id ${id}`);
      return { body: { msg } };
    },
  };
  const remove: Endpoint = {
    method: 'DELETE',
    path,
    mode: 'readwrite',
    auth,
    summary: `Delete the ${visibility} message with an id`,
    querySchema: ID_QUERY,
    handler: ({ tx, query }) => {
      const id = queryId(query);
      if (!tx.map<number, string>(mapName).delete(id)) throw new ApiError('ResourceNotFound', `no ${visibility} message with id ${id}`);
      return { body: { id } };
    },
  };
  return [post as Endpoint, get, remove];
}

export function loggingApp(): Endpoint[] {
  return [...recordEndpoints('private'), ...recordEndpoints('public')];
}
