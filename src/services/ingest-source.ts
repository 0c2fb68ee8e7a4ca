/**
 * One photo to ingest, whatever it came from (an upload staged to disk, a
 * path under the import root): its name and a way to read its bytes, which may
 * fail for this file alone (the batch goes on). Its own
 * file so that the sources (graphql/uploads.ts) and the ingestion service
 * depend on it, not on each other.
 */
export interface IngestSource {
  fileName: string;
  read(): Promise<Uint8Array>;
}
