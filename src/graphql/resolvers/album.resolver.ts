import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { PageArgs } from '../args.js';
import type { GraphQLContext } from '../context.js';
import { parseId } from '../ids.js';
import { toAlbum, toConnection, toFace, toImage, toIngestBatch, toWatchedFolder } from '../mappers.js';
import { Album, AlbumConnection } from '../types/album.type.js';
import { FaceConnection } from '../types/face.type.js';
import { ImageConnection } from '../types/image.type.js';
import { AlbumImagesArgs } from '../types/image-order.type.js';
import { IngestBatch } from '../types/ingest.type.js';
import { WatchedFolder } from '../types/watched-folder.type.js';
import { checkRange } from '../../services/pagination.js';

@Resolver(() => Album)
export class AlbumResolver {
  @Query(() => AlbumConnection, { description: "The caller's albums, oldest first." })
  async albums(@Args(() => PageArgs) args: PageArgs, @Ctx() ctx: GraphQLContext): Promise<AlbumConnection> {
    return toConnection(await ctx.services.albums.list(ctx.owner.id, args), toAlbum);
  }

  @Query(() => Album, { nullable: true, description: 'An album by id, or null if there is none.' })
  async album(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<Album | null> {
    const row = await ctx.services.albums.find(ctx.owner.id, parseId(id, 'id'));
    return row ? toAlbum(row) : null;
  }

  @Mutation(() => Album)
  async createAlbum(@Arg('name', () => String) name: string, @Ctx() ctx: GraphQLContext): Promise<Album> {
    return toAlbum(await ctx.services.albums.create(ctx.owner.id, name));
  }

  @Mutation(() => Boolean, { description: 'Deletes the album with its images and faces. NOT_FOUND if there is none.' })
  async deleteAlbum(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<boolean> {
    await ctx.services.albums.delete(ctx.owner.id, parseId(id, 'id'));
    return true;
  }

  @FieldResolver(() => Int)
  async imageCount(@Root() album: Album, @Ctx() ctx: GraphQLContext): Promise<number> {
    return (await ctx.services.albums.stats(ctx.owner.id, album.id)).imageCount;
  }

  @FieldResolver(() => Int)
  async faceCount(@Root() album: Album, @Ctx() ctx: GraphQLContext): Promise<number> {
    return (await ctx.services.albums.stats(ctx.owner.id, album.id)).faceCount;
  }

  @FieldResolver(() => ImageConnection, { description: 'Photos in the order they were added, or by when they were taken (`orderBy`).' })
  async images(
    @Root() album: Album,
    @Args(() => AlbumImagesArgs) args: AlbumImagesArgs,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ImageConnection> {
    return toConnection(await ctx.services.albums.listImages(ctx.owner.id, album.id, args, args.orderBy), toImage);
  }

  @FieldResolver(() => FaceConnection, { description: 'Faces in the order they were found.' })
  async faces(@Root() album: Album, @Args(() => PageArgs) args: PageArgs, @Ctx() ctx: GraphQLContext): Promise<FaceConnection> {
    return toConnection(await ctx.services.faces.listByAlbum(ctx.owner.id, album.id, args), toFace);
  }

  @FieldResolver(() => [IngestBatch], { description: 'Recent ingest batches, newest first.' })
  async ingestBatches(
    @Root() album: Album,
    @Arg('last', () => Int, { nullable: true, defaultValue: 20 }) last: number | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<IngestBatch[]> {
    const count = last ?? 20;
    checkRange('last', count, 1, ctx.maxPage);
    return (await ctx.services.ingest.listBatches(ctx.owner.id, album.id, count)).map(toIngestBatch);
  }

  @FieldResolver(() => [WatchedFolder], {
    description: 'Folders under FACEGRAPH_IMPORT_ROOT the album indexes in place (watchFolder), oldest first.',
  })
  async watchedFolders(@Root() album: Album, @Ctx() ctx: GraphQLContext): Promise<WatchedFolder[]> {
    return (await ctx.services.watch.folders(ctx.owner.id, album.id)).map(toWatchedFolder);
  }
}
