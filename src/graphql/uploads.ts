import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
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

/** What staging needs of the storage service: a write error as the client should see it. */
export interface StagingStorage {
  failure(err: unknown, folder: string): Promise<unknown>;
}

/**
 * Drains the multipart uploads, in request order, into temporary files under
 * `dir`. Multipart files arrive one after another on one stream, so a file must
 * be read to its end before the next one even starts: staging them first keeps
 * memory flat however many files come, and lets an oversized or broken file
 * fail alone while the others are kept. A file that cannot be written (a full
 * disk) is still read to its end, so that the files after it arrive and fail
 * or stage in their turn, and the request is answered. If staging itself
 * throws, what it staged is removed before the error goes on.
 */
export async function stageUploads(uploads: UploadArg[], dir: string, storage?: StagingStorage): Promise<StagedUploads> {
  const staged: string[] = [];
  const cleanup = async () => {
    await Promise.all(staged.splice(0).map((f) => fs.rm(f, { force: true })));
  };
  const sources: IngestSource[] = [];
  const files: StagedUpload[] = [];
  try {
    await fs.mkdir(dir, { recursive: true }).catch(async (err) => {
      throw (await storage?.failure(err, dir)) ?? err;
    });
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
        staged.push(target);
        await drainInto(file.createReadStream(), target);
        sources.push({ fileName, read: () => fs.readFile(target) });
        files.push({ fileName, path: target });
      } catch (err) {
        staged.pop();
        await fs.rm(target, { force: true });
        const error = await uploadError(err, index, dir, storage);
        sources.push({ fileName, read: () => Promise.reject(error) });
        files.push({ fileName, error });
      }
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { sources, files, cleanup };
}

/** A staging failure as the item's error: too large, no room on the disk, or unreadable. */
async function uploadError(err: unknown, index: number, dir: string, storage: StagingStorage | undefined): Promise<AppError> {
  if ((err as { status?: number }).status === 413) return new PayloadTooLargeError((err as Error).message);
  const mapped = await storage?.failure(err, dir);
  if (mapped instanceof AppError) return mapped;
  return new AppError('BAD_USER_INPUT', `upload ${index} could not be read: ${(err as Error).message}`);
}

/**
 * Writes `source` to a new file `target`. Unlike `stream.pipeline`, a failed write does not destroy
 * `source`: the multipart parser's file stream would then never be read again, the parser would wait on it
 * for good, and the files after it (and the request's answer) would never come. Instead the rest of the
 * file is read and dropped, and the write error is reported once the file has passed.
 */
function drainInto(source: Readable, target: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(target, { flags: 'wx' });
    let error: Error | undefined;
    let read = false;
    let written = false;
    const settle = () => {
      if (!read || !written) return;
      if (error) reject(error);
      else resolve();
    };
    // Over FACEGRAPH_MAX_FILE_BYTES: the parser truncates the file and unpipes it; read the rest away.
    source.once('limit', () => {
      error ??= Object.assign(new Error('the file is over the per-file limit (FACEGRAPH_MAX_FILE_BYTES)'), { status: 413 });
      source.unpipe(out);
      source.resume();
    });
    out.once('error', (err) => {
      error ??= err;
      source.unpipe(out);
      source.resume();
    });
    out.once('close', () => {
      written = true;
      settle();
    });
    source.once('end', () => {
      read = true;
      if (!out.destroyed) out.end();
      settle();
    });
    source.once('error', (err) => {
      error ??= err;
      read = true;
      out.destroy();
      settle();
    });
    source.once('close', () => {
      if (read) return;
      error ??= new Error('the upload ended before its last byte');
      read = true;
      out.destroy();
      settle();
    });
    source.pipe(out, { end: false });
  });
}

/** Reads one upload into memory (for searchByPhoto, which stores nothing). */
export async function readUpload(upload: UploadArg, dir: string, storage?: StagingStorage): Promise<Uint8Array> {
  const staged = await stageUploads([upload], dir, storage);
  try {
    return await staged.sources[0].read();
  } finally {
    await staged.cleanup();
  }
}
