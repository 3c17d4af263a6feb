/** Byte conversions at the transport boundary: wrap, never copy, where the bytes allow it. Internal. */

/** The bytes as a Buffer over the same memory (MQTT.js and the SDK want Buffers). */
export function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Whatever an SDK hands over as a payload (ArrayBuffer, a view, a string, nothing) as bytes. */
export function toUint8(data: unknown): Uint8Array {
  if (data === undefined || data === null) return new Uint8Array(0);
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  return Buffer.from(JSON.stringify(data), 'utf8');
}
