import { SchemaDecodeError } from '../core/errors.ts';

const magicByte = 0;
const headerSize = 5;

/** A Confluent wire-format message split into its schema id and Avro body. */
export interface Unframed {
  /** Schema registry id of the writer schema. */
  readonly schemaId: number;
  /** Avro binary body (a view into the input, not a copy). */
  readonly body: Buffer;
}

/**
 * Prefixes Avro binary with the Confluent wire-format header: magic byte 0, then the
 * schema registry id as a 4-byte big-endian integer.
 *
 * @throws RangeError if `schemaId` is not an integer from 0 to 2^31 - 1.
 * @example
 * frame(42, encodePayload('user.registered', payload)); // <00 00 00 00 2a ...avro>
 */
export function frame(schemaId: number, avroBytes: Uint8Array): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0x7fffffff) {
    throw new RangeError(`schema id must be an integer from 0 to 2147483647, got ${schemaId}`);
  }
  const framed = Buffer.allocUnsafe(headerSize + avroBytes.length);
  framed.writeUInt8(magicByte, 0);
  framed.writeInt32BE(schemaId, 1);
  framed.set(avroBytes, headerSize);
  return framed;
}

/**
 * Splits a Confluent wire-format message into schema id and Avro body.
 *
 * @throws SchemaDecodeError if the buffer is shorter than the 5-byte header, does not
 *   start with magic byte 0, or carries a negative schema id.
 */
export function unframe(bytes: Uint8Array): Unframed {
  const buffer = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < headerSize) {
    throw new SchemaDecodeError(
      `not Confluent wire format: ${buffer.length} bytes, need at least ${headerSize} (magic byte 0 and a 4-byte schema id)`,
    );
  }
  const magic = buffer.readUInt8(0);
  if (magic !== magicByte) {
    const hint = magic === 0x7b ? ' (looks like JSON)' : '';
    throw new SchemaDecodeError(
      `not Confluent wire format: magic byte is 0x${magic.toString(16).padStart(2, '0')}, expected 0x00${hint}`,
    );
  }
  const schemaId = buffer.readInt32BE(1);
  if (schemaId < 0) throw new SchemaDecodeError(`not Confluent wire format: negative schema id ${schemaId}`);
  return { schemaId, body: buffer.subarray(headerSize) };
}
