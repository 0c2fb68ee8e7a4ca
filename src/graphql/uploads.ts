import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FileUpload } from 'graphql-upload-minimal';
import { AppError, PayloadTooLargeError } from '../errors.js';
import type { IngestSource } from '../services/ingest-source.js';
import type { StagedUpload } from '../services/ingest.service.js';

/** The value a GraphQL `Upload` argument resolves to. */
export type UploadArg = Promise<FileUpload>;

export interface StagedUploads {
  sources: IngestSource[];
  /** The same files as staged paths (or their errors), for handing over to the spool. */
  files: StagedUpload[];
  /** Removes the staged files still there (those handed over are gone already). */
  cleanup(): Promise<void>;
}

/**
 * Drains the multipart uploads, in request order, into temporary files under
 * `dir`. Multipart files arrive one after another on one stream, so a file must
 * be read to its end before the next one even starts: staging them first keeps
 * memory flat however many files come, and lets an oversized or broken file
 * fail alone while the others are kept.
 */
export async function stageUploads(uploads: UploadArg[], dir: string): Promise<StagedUploads> {
  await fs.mkdir(dir, { recursive: true });
  const staged: string[] = [];
  const sources: IngestSource[] = [];
  const files: StagedUpload[] = [];
  for (const [index, upload] of uploads.entries()) {
    let file: FileUpload;
    try {
      file = await upload;
    } catch (err) {
      const error = new AppError('BAD_USER_INPUT', `upload ${index} is missing or malformed: ${(err as Error).message}`);
      sources.push({ fileName: `file ${index}`, read: () => Promise.reject(error) });
      files.push({ fileName: `file ${index}`, error });
      continue;
    }
    const fileName = file.filename || `file ${index}`;
    const target = path.join(dir, `${Date.now()}-${randomBytes(8).toString('hex')}.upload`);
    try {
      await pipeline(file.createReadStream(), createWriteStream(target, { flags: 'wx' }));
      staged.push(target);
      sources.push({ fileName, read: () => fs.readFile(target) });
      files.push({ fileName, path: target });
    } catch (err) {
      await fs.rm(target, { force: true });
      const error =
        (err as { status?: number }).status === 413
          ? new PayloadTooLargeError((err as Error).message)
          : new AppError('BAD_USER_INPUT', `upload ${index} could not be read: ${(err as Error).message}`);
      sources.push({ fileName, read: () => Promise.reject(error) });
      files.push({ fileName, error });
    }
  }
  return {
    sources,
    files,
    cleanup: async () => {
      await Promise.all(staged.map((f) => fs.rm(f, { force: true })));
    },
  };
}

/** Reads one upload into memory (for searchByPhoto, which stores nothing). */
export async function readUpload(upload: UploadArg, dir: string): Promise<Uint8Array> {
  const staged = await stageUploads([upload], dir);
  try {
    return await staged.sources[0].read();
  } finally {
    await staged.cleanup();
  }
}
