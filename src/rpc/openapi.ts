// The OpenAPI 3.1 description of a set of endpoints, built from what they declare (the
// same schemas the server validates with), as CCF serves at /app/api. OpenAPI 3.1 takes
// JSON Schema 2020-12 as is, so endpoint schemas go in unchanged.
import { API_ERROR_STATUS } from './api-error.js';
import type { Endpoint, JsonSchema } from './endpoint.js';
import { TX_ID_HEADER } from './reply.js';

export interface OpenApiInfo {
  readonly title: string;
  readonly version: string;
  readonly description?: string;
}

export type OpenApiDocument = Record<string, unknown>;

const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { enum: Object.keys(API_ERROR_STATUS) }, message: { type: 'string' } },
    },
  },
};

/** `/app/log/:id` → `/app/log/{id}`. */
function openApiPath(path: string): string {
  return path.replace(/\/:([A-Za-z_][A-Za-z0-9_]*)/g, '/{$1}');
}

function pathParameterNames(path: string): string[] {
  return [...path.matchAll(/\/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((match) => match[1] as string);
}

/** `POST /app/log/:id` → `post_app_log_by_id`: stable names for generated clients. */
function operationId(endpoint: Endpoint): string {
  const words = endpoint.path.split('/').filter((segment) => segment !== '').map((segment) => (segment.startsWith(':') ? `by_${segment.slice(1)}` : segment));
  return [endpoint.method.toLowerCase(), ...words].join('_').replace(/[^A-Za-z0-9_]/g, '_');
}

function parameters(endpoint: Endpoint): unknown[] {
  const path = pathParameterNames(endpoint.path).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  const properties = (endpoint.querySchema?.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((endpoint.querySchema?.required ?? []) as string[]);
  const query = Object.entries(properties).map(([name, schema]) => ({ name, in: 'query', required: required.has(name), schema }));
  return [...path, ...query];
}

function operation(endpoint: Endpoint): Record<string, unknown> {
  const success: Record<string, unknown> = {
    description: 'Success',
    headers: { [TX_ID_HEADER]: { $ref: '#/components/headers/TxId' } },
  };
  if (endpoint.responseSchema !== undefined) success.content = { 'application/json': { schema: endpoint.responseSchema } };
  const operation: Record<string, unknown> = {
    operationId: operationId(endpoint),
    summary: endpoint.summary,
    // Alternatives, tried in order: the first policy that accepts the caller wins.
    security: endpoint.auth.map((policy) => (policy.securityScheme === undefined ? {} : { [policy.name]: [] })),
    'x-coco-mode': endpoint.mode,
    responses: { 200: success, default: { $ref: '#/components/responses/Error' } },
  };
  const allParameters = parameters(endpoint);
  if (allParameters.length > 0) operation.parameters = allParameters;
  if (endpoint.requestSchema !== undefined) operation.requestBody = { required: true, content: { 'application/json': { schema: endpoint.requestSchema } } };
  return operation;
}

export function buildOpenApi(endpoints: readonly Endpoint[], info: OpenApiInfo): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  const securitySchemes: Record<string, unknown> = {};
  for (const endpoint of [...endpoints].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    (paths[openApiPath(endpoint.path)] ??= {})[endpoint.method.toLowerCase()] = operation(endpoint);
    for (const policy of endpoint.auth) if (policy.securityScheme !== undefined) securitySchemes[policy.name] = policy.securityScheme;
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      schemas: { Error: ERROR_SCHEMA },
      responses: { Error: { description: 'An error; `code` says which', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } },
      headers: { TxId: { description: 'The transaction id, `view.seqno`: the one written, or for a read the one whose state was read', schema: { type: 'string', pattern: '^[0-9]+\\.[0-9]+$' } } },
      securitySchemes,
    },
  };
}
