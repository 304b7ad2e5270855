/**
 * Reads a log file as text in big pieces that hold whole lines only, for the scan
 * (jsonl-archive.ts). A plain file can be read by byte range, so that parts of it are read at
 * once (scan-parts.ts): a range holds the lines that *start* in it, whichever byte it begins
 * and ends on — a line across the boundary belongs to the range it starts in, and is read whole.
 * A compressed file is read whole, from the start.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';

const CHUNK = 8 * 1024 * 1024;
const NEWLINE = 10;

export interface LogFile {
  path: string;
  compressed: boolean;
}

/** Byte range [start, end) of a plain file; null: the whole file (and a compressed one). */
export type ByteRange = { start: number; end: number } | null;

/**
 * Calls `onText` with the text of consecutive whole lines (joined by `\n`, no final one) until it
 * returns false; the file's last line is passed even without its newline (a torn line: the
 * caller's JSON check drops it). Returns the bytes read.
 */
export async function readLogText(file: LogFile, range: ByteRange, onText: (text: string) => boolean): Promise<number> {
  if (file.compressed) return readGzip(file.path, onText);
  const fh = await open(file.path, 'r').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : Promise.reject(err)));
  if (!fh) return 0; // rotated away between listing and opening: its compressed copy was listed or is newer
  try {
    const start = range?.start ?? 0;
    const end = range?.end ?? Infinity;
    // From the byte before the range: if it is a newline, the range begins with a line.
    let offset = start > 0 ? start - 1 : 0;
    let skipping = start > 0;
    let rest = Buffer.alloc(0);
    let bytes = 0;
    for (;;) {
      // Near the end of the range, only a little more than what is left (the rest of the last line).
      const want = Math.min(CHUNK, Math.max(64 * 1024, end - offset + 4096));
      const buf = Buffer.allocUnsafe(rest.length + want);
      rest.copy(buf);
      const { bytesRead } = await fh.read(buf, rest.length, want, offset);
      bytes += bytesRead;
      const data = buf.subarray(0, rest.length + bytesRead);
      const dataStart = offset - rest.length; // the file offset of data[0]
      offset += bytesRead;
      let from = 0;
      if (skipping) {
        const nl = data.indexOf(NEWLINE);
        if (nl < 0) {
          if (bytesRead === 0) return bytes;
          rest = Buffer.alloc(0);
          continue;
        }
        from = nl + 1;
        skipping = false;
      }
      // Lines starting before `end` are ours: the last of them ends at the first newline at or after end - 1.
      const limit = end - dataStart;
      if (limit <= from) return bytes;
      const stop = limit <= data.length ? data.indexOf(NEWLINE, limit - 1) : -1;
      if (stop >= 0) {
        if (stop > from) onText(data.toString('utf8', from, stop));
        return bytes;
      }
      if (bytesRead === 0) {
        if (data.length > from) onText(data.toString('utf8', from));
        return bytes;
      }
      const last = data.lastIndexOf(NEWLINE);
      if (last < from) {
        rest = Buffer.from(data.subarray(from)); // a line longer than the chunk: read on
        continue;
      }
      if (last > from && !onText(data.toString('utf8', from, last))) return bytes;
      rest = Buffer.from(data.subarray(last + 1));
    }
  } finally {
    await fh.close();
  }
}

async function readGzip(path: string, onText: (text: string) => boolean): Promise<number> {
  let bytes = 0;
  let rest: Buffer | null = null;
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }).pipe(createGunzip({ chunkSize: 1024 * 1024 })) as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    const buf: Buffer = rest ? Buffer.concat([rest, chunk]) : chunk;
    const last = buf.lastIndexOf(NEWLINE);
    if (last < 0) {
      rest = buf;
      continue;
    }
    rest = last + 1 < buf.length ? Buffer.from(buf.subarray(last + 1)) : null;
    if (last > 0 && !onText(buf.toString('utf8', 0, last))) return bytes;
  }
  if (rest?.length) onText(rest.toString('utf8'));
  return bytes;
}
