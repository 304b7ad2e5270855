/**
 * Reads a few top-level fields of a JSON line without parsing all of it: a query over 1 GB spends
 * most of its time in JSON.parse otherwise. Exact only for a flat line (no nested object or array:
 * the platform's own lines, nearly always), where `"name":` cannot occur except as a top-level key
 * (a quote inside a string is always escaped). Anything else: null, and the caller parses the line.
 */
export function readLineFields(line: string, fields: readonly string[], keys: readonly string[]): Record<string, unknown> | null {
  // Not flat, or not a whole line (a torn last line is left to JSON.parse, which refuses it).
  if (line.indexOf('{', 1) !== -1 || line.indexOf('[') !== -1 || line.charCodeAt(line.length - 1) !== 125) return null;
  const record: Record<string, unknown> = {};
  for (let f = 0; f < fields.length; f++) {
    const at = line.indexOf(keys[f]);
    if (at < 0) continue;
    if (line.charCodeAt(at - 1) === 92 /* \\ */) return null; // the quote is escaped: a key with a quote in it
    const start = at + keys[f].length;
    if (line.charCodeAt(start) === 34 /* " */) {
      let end = start + 1;
      let escapes = false;
      for (; end < line.length; end++) {
        const ch = line.charCodeAt(end);
        if (ch === 92) (escapes = true), end++;
        else if (ch === 34) break;
      }
      if (end >= line.length) return null;
      record[fields[f]] = escapes ? JSON.parse(line.slice(start, end + 1)) : line.slice(start + 1, end);
    } else {
      let end = start;
      while (end < line.length && line.charCodeAt(end) !== 44 /* , */ && line.charCodeAt(end) !== 125 /* } */) end++;
      const token = line.slice(start, end);
      record[fields[f]] = token === 'true' ? true : token === 'false' ? false : token === 'null' ? null : Number(token);
    }
  }
  return record;
}

/** `"name":` as it stands before a value in JSON.stringify's output. */
export function fieldKeys(fields: readonly string[]): string[] {
  return fields.map((f) => `${JSON.stringify(f)}:`);
}
