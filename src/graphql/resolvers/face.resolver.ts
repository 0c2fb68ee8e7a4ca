import { Arg, Args, Ctx, FieldResolver, Float, ID, Int, Query, Resolver, Root } from 'type-graphql';
import { NotFoundError } from '../../errors.js';
import { PageArgs } from '../args.js';
import type { GraphQLContext } from '../context.js';
import { parseId, parseOptionalId } from '../ids.js';
import { toConnection, toFace, toImage } from '../mappers.js';
import { Face, FaceComparison, FaceConnection, FaceMatch, PhotoFaceMatches, FACE_SOURCE } from '../types/face.type.js';
import { Image } from '../types/image.type.js';
import { GraphQLUpload } from 'graphql-upload-minimal';
import { readUpload, type UploadArg } from '../uploads.js';

@Resolver(() => Face)
export class FaceResolver {
  @Query(() => Face, { nullable: true })
  async face(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<Face | null> {
    const row = await ctx.services.faces.get(ctx.owner.id, parseId(id, 'id')).catch((err) => {
      if (err instanceof NotFoundError) return null;
      throw err;
    });
    return row ? toFace(row) : null;
  }

  @Query(() => FaceConnection, { description: "An album's faces in the order they were found, for clients that page through them." })
  async faces(
    @Arg('albumId', () => ID) albumId: string,
    @Args(() => PageArgs) args: PageArgs,
    @Ctx() ctx: GraphQLContext,
  ): Promise<FaceConnection> {
    return toConnection(await ctx.services.faces.listByAlbum(ctx.owner.id, parseId(albumId, 'albumId'), args), toFace);
  }

  @Query(() => [FaceMatch], {
    description: 'Stored faces nearest to this one by cosine distance (pgvector HNSW), the face itself excluded.',
  })
  async similarFaces(
    @Arg('faceId', () => ID) faceId: string,
    @Arg('limit', () => Int, { nullable: true, defaultValue: 10 }) limit: number | null,
    @Arg('maxDistance', () => Float, { nullable: true }) maxDistance: number | null,
    @Arg('albumId', () => ID, { nullable: true, description: 'Only faces of this album.' }) albumId: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<FaceMatch[]> {
    const matches = await ctx.services.faces.similar(ctx.owner.id, parseId(faceId, 'faceId'), {
      limit,
      maxDistance,
      albumId: parseOptionalId(albumId, 'albumId'),
    });
    return matches.map((m) => ({ face: toFace(m.face), distance: m.distance }));
  }

  @Query(() => [PhotoFaceMatches], {
    description: 'Finds the faces of an uploaded photo (not stored) and the nearest stored faces for each.',
  })
  async searchByPhoto(
    @Arg('file', () => GraphQLUpload) file: UploadArg,
    @Arg('limit', () => Int, { nullable: true, defaultValue: 10 }) limit: number | null,
    @Arg('maxDistance', () => Float, { nullable: true }) maxDistance: number | null,
    @Arg('albumId', () => ID, { nullable: true }) albumId: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<PhotoFaceMatches[]> {
    const bytes = await readUpload(file, ctx.stagingDir, ctx.services.storage);
    const results = await ctx.services.faces.searchByPhoto(ctx.owner.id, bytes, {
      limit,
      maxDistance,
      albumId: parseOptionalId(albumId, 'albumId'),
    });
    return results.map((r) => ({
      box: r.box,
      score: r.score,
      source: FACE_SOURCE[r.source],
      matches: r.matches.map((m) => ({ face: toFace(m.face), distance: m.distance })),
    }));
  }

  @Query(() => FaceComparison, { description: 'Cosine distance between two stored faces and the same-person decision.' })
  async compareFaces(
    @Arg('faceA', () => ID) faceA: string,
    @Arg('faceB', () => ID) faceB: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<FaceComparison> {
    return ctx.services.faces.compare(ctx.owner.id, parseId(faceA, 'faceA'), parseId(faceB, 'faceB'));
  }

  @FieldResolver(() => Image)
  async image(@Root() face: Face, @Ctx() ctx: GraphQLContext): Promise<Image> {
    const row = await ctx.loaders.image.load(face.imageId);
    if (!row) throw new NotFoundError('image', String(face.imageId));
    return toImage(row);
  }

  @FieldResolver(() => [Float], { description: 'The 128-d unit-length embedding; only sent when asked for.' })
  async embedding(@Root() face: Face, @Ctx() ctx: GraphQLContext): Promise<number[]> {
    return ctx.services.faces.embedding(ctx.owner.id, face.id);
  }
}
