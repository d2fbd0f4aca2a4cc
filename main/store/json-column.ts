// The *_json columns: JSON text in the database, plain values in the records.

/** A JSON object as stored in params_json, stats_json and config_json. */
export type JsonObject = { readonly [key: string]: unknown };

export function toJsonColumn(value: unknown): string {
  return JSON.stringify(value);
}

/** Parses a column's JSON; `where` names the table and column in the error. */
export function fromJsonColumn(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`The database holds malformed JSON in ${where}: ${(error as Error).message}`, { cause: error });
  }
}

export function fromJsonObjectColumn(text: string, where: string): JsonObject {
  const value = fromJsonColumn(text, where);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`The database holds a non-object in ${where}`);
  return value as JsonObject;
}
