/**
 * A gzipped tar archive of a few regular files, written here rather than by the system's `tar`: GNU tar and the
 * BSD tar of macOS take different flags for owners and times, and the archives a Linux and a macOS machine make
 * must look alike (same owner, mode and time on every entry) so that their checksums say only what is in them.
 * POSIX ustar: the Pulumi CLI reads it with Go's archive/tar.
 */
import { promises as fs } from "node:fs";
import { promisify } from "node:util";
import { gzip } from "node:zlib";

const BLOCK = 512;

export interface TarEntry {
  /** The name inside the archive (at most 100 bytes; no directories are needed here). */
  name: string;
  /** The file to read. */
  source: string;
  mode: 0o644 | 0o755;
}

/** An octal number field of `length` bytes: digits, then NUL. */
function octal(value: number, length: number): string {
  const digits = value.toString(8);
  if (digits.length > length - 1) {
    throw new Error(`tar: ${value} does not fit a ${length}-byte field`);
  }
  return `${digits.padStart(length - 1, "0")}\0`;
}

function header(name: string, size: number, mode: number, mtime: number): Buffer {
  if (Buffer.byteLength(name) > 100) {
    throw new Error(`tar: the name ${name} is longer than 100 bytes`);
  }
  const block = Buffer.alloc(BLOCK);
  const fields: Array<[number, string]> = [
    [0, name],
    [100, octal(mode, 8)],
    [108, octal(0, 8)], // uid
    [116, octal(0, 8)], // gid
    [124, octal(size, 12)],
    [136, octal(mtime, 12)],
    [156, "0"], // a regular file
    [257, "ustar\0"],
    [263, "00"],
    [265, "root"],
    [297, "root"],
  ];
  for (const [offset, text] of fields) {
    block.write(text, offset, "utf8");
  }
  // The checksum is computed with its own field as spaces, then written as six digits, NUL and a space.
  block.fill(" ", 148, 156);
  const sum = block.reduce((total, byte) => total + byte, 0);
  block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "utf8");
  return block;
}

/** Writes `entries` as a .tar.gz to `file`, every entry with the time `mtime` (seconds since 1970). */
export async function writeTarGz(file: string, entries: readonly TarEntry[], mtime: number): Promise<void> {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = await fs.readFile(entry.source);
    parts.push(header(entry.name, data.length, entry.mode, mtime), data);
    const padding = (BLOCK - (data.length % BLOCK)) % BLOCK;
    parts.push(Buffer.alloc(padding));
  }
  // The end of the archive: two empty blocks.
  parts.push(Buffer.alloc(2 * BLOCK));
  const compressed = await promisify(gzip)(Buffer.concat(parts));
  await fs.writeFile(file, compressed);
}
