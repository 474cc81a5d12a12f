// Header fields as the HTTP/2 layer carries them (a flat [name, value, …] list in wire order) and the
// shapes the gRPC code reads: a plain record (cheap, for the common call) or web `Headers` (Connect's
// API; built only when somebody asks, since on Node 20 the first `Headers` loads undici).

/** Header values by lowercase name; repeated names become arrays (node:http2's IncomingHttpHeaders shape). */
export type FieldRecord = Record<string, string | string[] | undefined>;

/** A flat field list as a record. */
export function fieldsToRecord(fields: readonly string[]): FieldRecord {
  const out: FieldRecord = {};
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i] as string;
    const value = fields[i + 1] as string;
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[name] = [prev, value];
  }
  return out;
}

/** Web `Headers` from a record, pseudo-headers (`:status`, `:path`, …) left out. */
export function recordToHeaders(raw: FieldRecord): Headers {
  const h = new Headers();
  for (const key of Object.keys(raw)) {
    if (key.startsWith(":")) continue;
    const v = raw[key];
    if (Array.isArray(v)) for (const item of v) h.append(key, item);
    else if (v !== undefined) h.set(key, String(v));
  }
  return h;
}

/** Appends `Headers` to a flat list (their names are already lowercase). */
export function appendHeaders(out: string[], headers: Headers): string[] {
  headers.forEach((value, key) => {
    out.push(key, value);
  });
  return out;
}
