import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { GraphQLUpload } from 'graphql-upload-minimal';
import { InvalidInputError } from '../../errors.js';
import type { GraphQLContext } from '../context.js';
import { parseId } from '../ids.js';
import { toAlbum, toIngestBatch, toIngestItem } from '../mappers.js';
import { Album } from '../types/album.type.js';
import { Image } from '../types/image.type.js';
import { IngestBatch, IngestItem } from '../types/ingest.type.js';
import { stageUploads, type UploadArg } from '../uploads.js';
import { loadImage } from './image.resolver.js';

@Resolver(() => IngestBatch)
export class IngestResolver {
  @Mutation(() => IngestBatch, {
    description:
      'Ingests uploaded photos (GraphQL multipart request). One item per file, in request order. The files are kept and ' +
      'processed by durable jobs; the batch comes back DONE if it finishes within FACEGRAPH_INGEST_WAIT_SECONDS ' +
      '(default 5 s), else QUEUED/RUNNING with items filling in: follow it with ingestBatch(id).',
  })
  async ingestImages(
    @Arg('albumId', () => ID) albumId: string,
    @Arg('files', () => [GraphQLUpload]) files: UploadArg[],
    @Ctx() ctx: GraphQLContext,
  ): Promise<IngestBatch> {
    const album = parseId(albumId, 'albumId');
    if (files.length === 0) throw new InvalidInputError('files must not be empty', { argument: 'files' });
    if (files.length > ctx.maxFiles) {
      throw new InvalidInputError(`at most ${ctx.maxFiles} files per request`, { argument: 'files' });
    }
    // A disk under its margin refuses the upload before a byte of it is staged.
    await ctx.services.storage.requireRoomForUploads();
    const staged = await stageUploads(files, ctx.stagingDir, ctx.services.storage);
    try {
      return toIngestBatch(await ctx.services.ingest.enqueueUploads(ctx.owner.id, album, staged.files));
    } catch (err) {
      // The batch could not be written (the database's disk full too): INSUFFICIENT_STORAGE, not a bug.
      throw await ctx.services.storage.failure(err);
    } finally {
      await staged.cleanup();
    }
  }

  @Mutation(() => IngestBatch, {
    description:
      'Ingests photos already on the server, under FACEGRAPH_IMPORT_ROOT (relative paths are taken from it). ' +
      'Processed by durable jobs, like ingestImages.',
  })
  async ingestPaths(
    @Arg('albumId', () => ID) albumId: string,
    @Arg('paths', () => [String]) paths: string[],
    @Ctx() ctx: GraphQLContext,
  ): Promise<IngestBatch> {
    const album = parseId(albumId, 'albumId');
    if (paths.length === 0) throw new InvalidInputError('paths must not be empty', { argument: 'paths' });
    if (paths.length > ctx.maxFiles) {
      throw new InvalidInputError(`at most ${ctx.maxFiles} paths per request`, { argument: 'paths' });
    }
    // The photos are copied into the store: refused, like uploads, when the disk is under its margin.
    await ctx.services.storage.requireRoomForUploads();
    return toIngestBatch(await ctx.services.ingest.enqueuePaths(ctx.owner.id, album, paths));
  }

  @Mutation(() => Int, {
    description:
      'Queues a re-encode of every face (of one album, or all) whose model differs from the running one, or that was ' +
      'stored before the pipeline measured what clustering needs of it (its gender evidence): the stored photos are ' +
      'analysed again and each face keeps its id. Returns how many faces that concerns. Progress shows in ' +
      "the faces' `model`; asking again re-queues what is left.",
  })
  async reencodeFaces(@Arg('albumId', () => ID, { nullable: true }) albumId: string | null, @Ctx() ctx: GraphQLContext): Promise<number> {
    return ctx.services.reencode.reencodeFaces(
      ctx.owner.id,
      albumId === null || albumId === undefined ? undefined : parseId(albumId, 'albumId'),
    );
  }

  @Query(() => IngestBatch, { nullable: true })
  async ingestBatch(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<IngestBatch | null> {
    const row = await ctx.services.ingest.findBatch(ctx.owner.id, parseId(id, 'id'));
    return row ? toIngestBatch(row) : null;
  }

  @FieldResolver(() => [IngestItem])
  async items(@Root() batch: IngestBatch, @Ctx() ctx: GraphQLContext): Promise<IngestItem[]> {
    return (await ctx.services.ingest.batchItems(ctx.owner.id, batch.id)).map(toIngestItem);
  }

  @FieldResolver(() => Album)
  async album(@Root() batch: IngestBatch, @Ctx() ctx: GraphQLContext): Promise<Album> {
    return toAlbum(await ctx.services.albums.get(ctx.owner.id, batch.albumId));
  }
}

@Resolver(() => IngestItem)
export class IngestItemResolver {
  @FieldResolver(() => Image, { nullable: true, description: 'The stored image, unless the file failed.' })
  image(@Root() item: IngestItem, @Ctx() ctx: GraphQLContext): Promise<Image | null> {
    return loadImage(ctx, item.imageId);
  }
}
