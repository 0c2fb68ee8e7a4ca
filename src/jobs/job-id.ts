import { createHash } from 'node:crypto';

/**
 * A UUID derived from the unit of work it names (name-based, like UUID v5 but
 * on SHA-256). pg-boss wants UUID job ids; deriving them from the work makes
 * sending the same work twice a no-op in both queue engines.
 *
 * With `sequence`, the last 48 bits are the sequence number instead of hash
 * bits. Both queues hand out jobs created together (one transaction, one
 * timestamp) in id order, so the photos of a batch are then taken in request
 * order, and its images get their ids in that order.
 */
export function jobId(key: string, sequence?: number): string {
  const hex = createHash('sha256').update(key).digest('hex');
  // Version 8 (custom) and the RFC 4122 variant, so that it is a well-formed UUID.
  const version = `8${hex.slice(13, 16)}`;
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16) + hex.slice(17, 20);
  const node = sequence === undefined ? hex.slice(20, 32) : sequence.toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${version}-${variant}-${node}`;
}
