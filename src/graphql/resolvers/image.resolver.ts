import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../context.js';
import { parseId } from '../ids.js';
import { toAlbum, toFace, toImage } from '../mappers.js';
import { Album } from '../types/album.type.js';
import { Face } from '../types/face.type.js';
import { Image } from '../types/image.type.js';

/** An image of the caller's by id, through the request's batch loader (null: none, or another owner's). */
export async function loadImage(ctx: GraphQLContext, id: number | null): Promise<Image | null> {
  if (id === null) return null;
  const row = await ctx.loaders.image.load(id);
  return row ? toImage(row) : null;
}

@Resolver(() => Image)
export class ImageResolver {
  @Query(() => Image, { nullable: true })
  image(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<Image | null> {
    return loadImage(ctx, parseId(id, 'id'));
  }

  @Mutation(() => Boolean, { description: 'Deletes the image and its faces. NOT_FOUND if there is none.' })
  async deleteImage(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<boolean> {
    await ctx.services.albums.deleteImage(ctx.owner.id, parseId(id, 'id'));
    return true;
  }

  @FieldResolver(() => [Face])
  async faces(@Root() image: Image, @Ctx() ctx: GraphQLContext): Promise<Face[]> {
    return (await ctx.loaders.facesOfImage.load(image.id)).map(toFace);
  }

  @FieldResolver(() => String, {
    description:
      'URL of the photo in a format every browser shows (immutable, cacheable): the stored file for JPEG, PNG, WebP, GIF and AVIF; ' +
      'a JPEG rendition (made once, then kept) for HEIC/HEIF, TIFF and RAW. The same pixels the face boxes are in.',
  })
  url(@Root() image: Image, @Ctx() ctx: GraphQLContext): string {
    return ctx.services.albums.photoUrl(ctx.owner.id, image);
  }

  @FieldResolver(() => String, { description: 'URL of the stored photo, its bytes as ingested (immutable, cacheable).' })
  originalUrl(@Root() image: Image, @Ctx() ctx: GraphQLContext): string {
    return ctx.services.albums.originalUrl(ctx.owner.id, image);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description:
      "An XMP packet with an MWG face region for each face whose person has a name, in the stored file's pixels with their AppliedToDimensions (also at GET /images/<id>.xmp); null when no face has a named person.",
  })
  xmpSidecar(@Root() image: Image, @Ctx() ctx: GraphQLContext): Promise<string | null> {
    return ctx.services.albums.xmpSidecar(ctx.owner.id, image.id);
  }

  @FieldResolver(() => Album)
  async album(@Root() image: Image, @Ctx() ctx: GraphQLContext): Promise<Album> {
    return toAlbum(await ctx.services.albums.get(ctx.owner.id, image.albumId));
  }
}
