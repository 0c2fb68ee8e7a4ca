import type { FileUpload } from 'graphql-upload-minimal';
import { AppError, PayloadTooLargeError } from '../errors.js';
import type { IngestSource } from '../services/ingest.service.js';

/** The value a GraphQL `Upload` argument resolves to. */
export type UploadArg = Promise<FileUpload>;

/**
 * Wraps a multipart upload as an ingest source. Reading drains the stream into
 * memory; the multipart parser has already enforced the per-file byte limit,
 * and an over-limit or aborted stream becomes an error of that file alone.
 */
export function uploadSource(upload: UploadArg, index: number): IngestSource & { resolveName(): Promise<string> } {
  let name = `file ${index}`;
  const resolved = upload.then((f) => {
    name = f.filename || name;
    return f;
  });
  resolved.catch(() => undefined);
  return {
    get fileName() {
      return name;
    },
    resolveName: () => resolved.then((f) => f.filename || name, () => name),
    read: async () => {
      let file: FileUpload;
      try {
        file = await resolved;
      } catch (err) {
        throw new AppError('BAD_USER_INPUT', `upload ${index} is missing or malformed: ${(err as Error).message}`);
      }
      const chunks: Buffer[] = [];
      try {
        for await (const chunk of file.createReadStream()) chunks.push(chunk as Buffer);
      } catch (err) {
        if ((err as { status?: number }).status === 413) throw new PayloadTooLargeError((err as Error).message);
        throw new AppError('BAD_USER_INPUT', `upload ${index} could not be read: ${(err as Error).message}`);
      }
      return Buffer.concat(chunks);
    },
  };
}
