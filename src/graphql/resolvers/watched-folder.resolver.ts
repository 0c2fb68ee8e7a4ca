import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Resolver, Root } from 'type-graphql';
import { PageArgs } from '../args.js';
import type { GraphQLContext } from '../context.js';
import { parseId } from '../ids.js';
import { toConnection, toImage, toWatchedFolder } from '../mappers.js';
import { ImageConnection } from '../types/image.type.js';
import { WatchedFolder } from '../types/watched-folder.type.js';

@Resolver(() => WatchedFolder)
export class WatchedFolderResolver {
  @Mutation(() => WatchedFolder, {
    description:
      'Indexes a folder under FACEGRAPH_IMPORT_ROOT into the album in place (photos read where they lie, never copied) and ' +
      'keeps it in step: scanned now and at every start, then watched. FORBIDDEN_PATH outside the root (by `..` or a symlink); ' +
      'watching the same folder again returns it as it is.',
  })
  async watchFolder(
    @Arg('albumId', () => ID) albumId: string,
    @Arg('path', () => String) path: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<WatchedFolder> {
    return toWatchedFolder(await ctx.services.watch.watchFolder(ctx.owner.id, parseId(albumId, 'albumId'), path));
  }

  @Mutation(() => Boolean, {
    description: 'Stops watching the folder; its photos leave the album with their faces. False if the album did not watch it.',
  })
  unwatchFolder(
    @Arg('albumId', () => ID) albumId: string,
    @Arg('path', () => String) path: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<boolean> {
    return ctx.services.watch.unwatchFolder(ctx.owner.id, parseId(albumId, 'albumId'), path);
  }

  @FieldResolver(() => Int, { description: 'Photos of the folder in the album.' })
  photoCount(@Root() folder: WatchedFolder, @Ctx() ctx: GraphQLContext): Promise<number> {
    return ctx.services.watch.photoCount(ctx.owner.id, folder.id);
  }

  @FieldResolver(() => ImageConnection, { description: "The folder's photos in the album, in the order they were indexed." })
  async photos(@Root() folder: WatchedFolder, @Args(() => PageArgs) args: PageArgs, @Ctx() ctx: GraphQLContext): Promise<ImageConnection> {
    return toConnection(await ctx.services.watch.photos(ctx.owner.id, folder.id, args), toImage);
  }
}
