import { randomFillSync } from "node:crypto";

/**
 * UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits. Orders and events get
 * time-ordered ids so B-tree inserts stay append-mostly and ids sort by creation time.
 * Within one millisecond a monotonic counter in `rand_a` keeps ids from one process ordered.
 */
let lastMillis = 0;
let counter = 0;

/**
 * Random bytes are drawn 4 KiB at a time (as node:crypto's randomUUID does): one randomBytes(16)
 * per id was 3 % of the API's time per POST, which makes six ids (issue 17's profile).
 */
const RANDOM_POOL = Buffer.alloc(4096);
let randomOffset = RANDOM_POOL.length;
const bytes = Buffer.alloc(16);

export function uuidv7(now: number = Date.now()): string {
  if (randomOffset === RANDOM_POOL.length) {
    randomFillSync(RANDOM_POOL);
    randomOffset = 0;
  }
  RANDOM_POOL.copy(bytes, 0, randomOffset, randomOffset + 16);
  randomOffset += 16;
  if (now <= lastMillis) {
    counter = (counter + 1) & 0xfff;
    if (counter === 0) lastMillis += 1; // 4096 ids in one ms: borrow the next millisecond
    now = lastMillis;
  } else {
    lastMillis = now;
    counter = bytes.readUInt16BE(6) & 0x7ff; // random start, headroom to count up
  }
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Any case (RFC 9562 §4: UUIDs compare case-insensitively on input); spelled out instead of an
 * `i` flag because JSON Schema / OpenAPI patterns carry no flags — the documents generated from
 * this regex must accept what the code accepts.
 */
export const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
export const isUuid = (value: string): boolean => UUID_PATTERN.test(value);

/** Milliseconds encoded in a UUIDv7. */
export const uuidv7Time = (id: string): number => Number.parseInt(id.replaceAll("-", "").slice(0, 12), 16);

/** user_id and product_id: opaque ids owned by other services (DESIGN §2). */
export const EXTERNAL_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
