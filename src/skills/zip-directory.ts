// Pure reading of a ZIP file's central directory: one record per entry with its raw name, method, flags, declared
// sizes, CRC, Unix mode and where its data lies. It checks the structure only (bounds, signatures, the local header
// agreeing with the central one, no overlapping data); what the names and sizes may be is skill-bundle.ts's policy.

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;
const MAX_COMMENT = 0xffff;
/** "Version made by" host 3: the external attributes' high 16 bits are a Unix st_mode. */
const HOST_UNIX = 3;

export interface ZipEntry {
  /** The name as stored (bytes decoded as UTF-8; see `nameIsUtf8`). */
  name: string;
  /** General-purpose flags (bit 0: encrypted, bit 6: strong encryption, bit 11: UTF-8 name). */
  flags: number;
  /** 0 stored, 8 deflate, anything else unsupported here. */
  method: number;
  crc32: number;
  compressedSize: number;
  /** As the headers claim; the real size is measured while inflating. */
  declaredSize: number;
  /** The Unix st_mode from the external attributes, when the archive was made on Unix; else undefined. */
  unixMode: number | undefined;
  /** Where the entry's local header, and its (compressed) data, start in the archive. */
  localOffset: number;
  dataOffset: number;
}

/** The archive is not a ZIP this reader accepts; `message` says what is wrong with it. */
export class ZipFormatError extends Error {
  override readonly name = "ZipFormatError";
}

/** Reads the central directory of `zip`. Throws ZipFormatError for a malformed, multi-disk or ZIP64 archive, or for
 * more than `maxEntries` entries (checked before any entry is read). */
export function readZipDirectory(zip: Uint8Array, maxEntries: number): ZipEntry[] {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const eocd = findEndOfDirectory(view);
  const disk = view.getUint16(eocd + 4, true);
  const cdDisk = view.getUint16(eocd + 6, true);
  const onDisk = view.getUint16(eocd + 8, true);
  const total = view.getUint16(eocd + 10, true);
  const cdSize = view.getUint32(eocd + 12, true);
  const cdOffset = view.getUint32(eocd + 16, true);
  if (total === 0xffff || cdOffset === 0xffffffff || cdSize === 0xffffffff) throw new ZipFormatError("ZIP64 archives are not supported");
  if (disk !== 0 || cdDisk !== 0 || onDisk !== total) throw new ZipFormatError("multi-disk archives are not supported");
  if (total > maxEntries) throw new ZipFormatError(`it has ${total} entries, more than the ${maxEntries} allowed`);
  if (cdOffset + cdSize > eocd) throw new ZipFormatError("the central directory lies outside the archive");

  const entries: ZipEntry[] = [];
  let at = cdOffset;
  for (let i = 0; i < total; i++) {
    if (at + CENTRAL_SIZE > eocd || view.getUint32(at, true) !== CENTRAL_SIGNATURE) throw new ZipFormatError("the central directory is damaged");
    const madeBy = view.getUint16(at + 4, true);
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const crc32 = view.getUint32(at + 16, true);
    const compressedSize = view.getUint32(at + 20, true);
    const declaredSize = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const external = view.getUint32(at + 38, true);
    const localOffset = view.getUint32(at + 42, true);
    if (compressedSize === 0xffffffff || declaredSize === 0xffffffff || localOffset === 0xffffffff) throw new ZipFormatError("ZIP64 entries are not supported");
    const nameBytes = zip.subarray(at + CENTRAL_SIZE, at + CENTRAL_SIZE + nameLength);
    if (at + CENTRAL_SIZE + nameLength > eocd) throw new ZipFormatError("the central directory is damaged");
    const name = decodeName(nameBytes, flags);
    const dataOffset = readLocalHeader(view, zip, localOffset, nameBytes);
    if (dataOffset + compressedSize > cdOffset) throw new ZipFormatError(`the data of "${name}" lies outside the archive`);
    entries.push({
      name, flags, method, crc32, compressedSize, declaredSize, localOffset, dataOffset,
      unixMode: madeBy >> 8 === HOST_UNIX ? external >>> 16 : undefined,
    });
    at += CENTRAL_SIZE + nameLength + extraLength + commentLength;
  }
  checkNoOverlap(entries);
  return entries;
}

function findEndOfDirectory(view: DataView): number {
  const last = view.byteLength - EOCD_SIZE;
  for (let at = last; at >= 0 && at >= last - MAX_COMMENT; at--) {
    if (view.getUint32(at, true) === EOCD_SIGNATURE && at + EOCD_SIZE + view.getUint16(at + 20, true) === view.byteLength) return at;
  }
  throw new ZipFormatError("it is not a ZIP archive (no end of central directory)");
}

/** Checks the local header of an entry and returns where its data starts. */
function readLocalHeader(view: DataView, zip: Uint8Array, offset: number, centralName: Uint8Array): number {
  if (offset + LOCAL_SIZE > view.byteLength || view.getUint32(offset, true) !== LOCAL_SIGNATURE) throw new ZipFormatError("a local file header is missing or damaged");
  const nameLength = view.getUint16(offset + 26, true);
  const extraLength = view.getUint16(offset + 28, true);
  const localName = zip.subarray(offset + LOCAL_SIZE, offset + LOCAL_SIZE + nameLength);
  // Readers that trust the local name would see another file than the one checked here.
  if (!sameBytes(localName, centralName)) throw new ZipFormatError("a local file header names another file than the central directory");
  return offset + LOCAL_SIZE + nameLength + extraLength;
}

/** Overlapping entries (one compressed stream counted as many files) are a known zip-bomb construction. */
function checkNoOverlap(entries: readonly ZipEntry[]): void {
  const sorted = [...entries].sort((a, b) => a.localOffset - b.localOffset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    if (prev.dataOffset + prev.compressedSize > sorted[i]!.localOffset) throw new ZipFormatError(`the data of "${prev.name}" overlaps another entry`);
  }
}

function decodeName(bytes: Uint8Array, flags: number): string {
  const utf8 = (flags & 0x800) !== 0;
  if (!utf8 && bytes.some((b) => b >= 0x80)) throw new ZipFormatError("an entry name is neither ASCII nor marked UTF-8");
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ZipFormatError("an entry name is not valid UTF-8");
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

const CRC_TABLE = ((): Uint32Array => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (the ZIP one) over chunks: start with `crc32Update(0, chunk)`, feed the result back for the next chunk. */
export function crc32Update(crc: number, chunk: Uint8Array): number {
  let c = ~crc >>> 0;
  for (const byte of chunk) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
