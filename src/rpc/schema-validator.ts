// Checks request bodies and query strings against the JSON Schemas (draft 2020-12) that
// endpoints declare, with ajv. Schemas compile once, when the server is built, in strict
// mode, so a typo in a schema stops the node at start rather than passing bad input
// later. A failure names the offending place: `body/id must be integer`.
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import type { JsonSchema } from './endpoint.js';

/** What is being checked, as messages name it. */
export type SchemaSubject = 'body' | 'query';

/** Returns why `value` does not match, or undefined when it does. */
export type Validate = (value: unknown) => string | undefined;

function describeError(subject: SchemaSubject, error: ErrorObject): string {
  const where = `${subject}${error.instancePath}`;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `${where}/${String(params.missingProperty)} is required`;
    case 'additionalProperties':
      return `${where}/${String(params.additionalProperty)} is not allowed`;
    case 'enum':
      return `${where} must be one of ${(params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(', ')}`;
    case 'const':
      return `${where} must be ${JSON.stringify(params.allowedValue)}`;
    default:
      return `${where} ${error.message ?? `fails "${error.keyword}"`}`;
  }
}

export class SchemaValidator {
  // allErrors off: the first problem is enough to answer, and cheaper to find.
  readonly #ajv = new Ajv2020({ allErrors: false, strict: true });

  /** Compiles `schema`; throws (a programmer error) if it is not a valid strict schema. */
  compile(schema: JsonSchema, subject: SchemaSubject): Validate {
    const validate = this.#ajv.compile(schema);
    return (value: unknown) => {
      if (validate(value)) return undefined;
      if (value === undefined) return `${subject} is required`;
      const error = validate.errors?.[0];
      return error === undefined ? `${subject} does not match its schema` : describeError(subject, error);
    };
  }
}

/**
 * The query string as the object its schema describes: each parameter a string, or an
 * array of strings when it repeats (so a schema asking for one string refuses repeats).
 */
export function queryObject(query: URLSearchParams): Record<string, string | string[]> {
  const values = new Map<string, string | string[]>();
  for (const [name, value] of query) {
    const seen = values.get(name);
    if (seen === undefined) values.set(name, value);
    else if (Array.isArray(seen)) seen.push(value);
    else values.set(name, [seen, value]);
  }
  // fromEntries defines own properties, so a parameter named __proto__ stays data.
  return Object.fromEntries(values);
}
