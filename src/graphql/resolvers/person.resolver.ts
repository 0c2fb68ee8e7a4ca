import { GraphQLDate } from 'graphql-scalars';
import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { NotFoundError } from '../../errors.js';
import type { FaceRecord } from '../../services/records.js';
import { PageArgs } from '../args.js';
import type { GraphQLContext } from '../context.js';
import { parseId, parseOptionalId } from '../ids.js';
import { toConnection, toFace, toImage } from '../mappers.js';
import { ImageConnection } from '../types/image.type.js';
import { Album } from '../types/album.type.js';
import { Face, FaceConnection, FaceMatch } from '../types/face.type.js';
import {
  AssignedBy,
  ClusteringResult,
  FaceSuggestion,
  MergeSuggestion,
  Person,
  PersonConnection,
  PersonMerge,
  toPerson,
  toPersonMerge,
} from '../types/person.type.js';

async function thumbnailUrl(face: Face, ctx: GraphQLContext): Promise<string> {
  const image = await ctx.loaders.image.load(face.imageId);
  if (!image) throw new NotFoundError('image', String(face.imageId));
  return ctx.services.thumbnails.url(ctx.owner.id, face, image.sha256);
}

@Resolver(() => Person)
export class PersonResolver {
  @Query(() => Person, { nullable: true, description: 'A person by id, or null (also for a person merged into another).' })
  async person(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<Person | null> {
    const row = await ctx.services.people.find(ctx.owner.id, parseId(id, 'id'));
    return row ? toPerson(row) : null;
  }

  @Query(() => PersonConnection, { description: 'People of the whole library in creation order, optionally by name.' })
  async people(
    @Arg('search', () => String, { nullable: true, description: 'Case-insensitive part of the name.' }) search: string | null,
    @Arg('includeHidden', () => Boolean, { nullable: true, defaultValue: false }) includeHidden: boolean | null,
    @Args(() => PageArgs) args: PageArgs,
    @Ctx() ctx: GraphQLContext,
  ): Promise<PersonConnection> {
    return toConnection(await ctx.services.people.search(ctx.owner.id, { search, includeHidden }, args), toPerson);
  }

  @Query(() => [FaceMatch], {
    description:
      "Faces in no person nearest to this person, for quick tagging; distance is the face's mean cosine distance to the person's faces.",
  })
  async suggestFacesForPerson(
    @Arg('personId', () => ID) personId: string,
    @Arg('limit', () => Int, { nullable: true, defaultValue: 10 }) limit: number | null,
    @Arg('albumId', () => ID, { nullable: true, description: 'Only faces of this album.' }) albumId: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<FaceMatch[]> {
    const matches = await ctx.services.people.suggest(
      ctx.owner.id,
      parseId(personId, 'personId'),
      limit ?? 10,
      parseOptionalId(albumId, 'albumId'),
    );
    return matches.map((m) => ({ face: toFace(m.face), distance: m.distance }));
  }

  @Query(() => [FaceSuggestion], {
    description:
      '"Who is this?": good faces in no person (a face a user made nobody is not asked about), each with the person it most likely is, the most certain first (the widest margin to the next person it could be). Never a person the face was rejected from, one with another face in its photo, one born after the photo was taken, or one confidently of the other gender. Looks at the newest 1,000 such faces.',
  })
  async reviewQueue(
    @Arg('albumId', () => ID, { nullable: true, description: "Only faces of this album; null: all the owner's albums." }) albumId:
      | string
      | null,
    @Arg('limit', () => Int, { nullable: true, defaultValue: 20 }) limit: number | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<FaceSuggestion[]> {
    const rows = await ctx.services.review.reviewQueue(ctx.owner.id, parseOptionalId(albumId, 'albumId'), limit ?? 20);
    return rows.map((r) => ({ face: toFace(r.face), person: toPerson(r.person), distance: r.distance }));
  }

  @Query(() => ImageConnection, {
    description:
      'Photos in which every one of these people appears, in the order they were added. With only: true, photos with no face of any other person (faces in no person do not count as another person).',
  })
  async peopleTogether(
    @Arg('personIds', () => [ID]) personIds: string[],
    @Arg('only', () => Boolean, { nullable: true, defaultValue: false }) only: boolean | null,
    @Args(() => PageArgs) args: PageArgs,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ImageConnection> {
    const ids = personIds.map((id) => parseId(id, 'personIds'));
    return toConnection(await ctx.services.people.photosTogether(ctx.owner.id, ids, only ?? false, args), toImage);
  }

  @Query(() => [MergeSuggestion], {
    description:
      "Pairs of the album's people (shown, with a face in it) that may be one person, closest first by the linkage clustering uses, at most twice the same-person threshold apart. Pairs dismissed with dismissMergeSuggestion and pairs with faces in one photo are left out.",
  })
  async mergeSuggestions(
    @Arg('albumId', () => ID) albumId: string,
    @Arg('limit', () => Int, { nullable: true, defaultValue: 10 }) limit: number | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<MergeSuggestion[]> {
    const suggestions = await ctx.services.people.mergeSuggestions(ctx.owner.id, parseId(albumId, 'albumId'), limit ?? 10);
    return suggestions.map((s) => ({ a: toPerson(s.a), b: toPerson(s.b), distance: s.distance }));
  }

  @Mutation(() => [Person], {
    description:
      '"Not the same person": mergeSuggestions never offers the pair again, and clustering (full and incremental) never puts their faces in one person; the rule follows each through merges, and mergePeople of the two still works. Returns the two people, in the order given. BAD_USER_INPUT if a and b are the same id.',
  })
  async dismissMergeSuggestion(
    @Arg('a', () => ID) a: string,
    @Arg('b', () => ID) b: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Person[]> {
    const people = await ctx.services.people.dismissMergeSuggestion(ctx.owner.id, parseId(a, 'a'), parseId(b, 'b'));
    return people.map(toPerson);
  }

  @Mutation(() => ClusteringResult, {
    description:
      "Groups the album's faces into people. Recomputes machine-made assignments and keeps users' (named, hidden and merged people, faces moved by hand); with incremental: true only places faces that are in no person yet.",
  })
  async clusterFaces(
    @Arg('albumId', () => ID) albumId: string,
    @Arg('incremental', () => Boolean, { nullable: true, defaultValue: false }) incremental: boolean | null,
    @Arg('minFaces', () => Int, {
      nullable: true,
      description:
        "Fewest similar faces that make a new person. Default 3, or 2 that are each other's nearest and very close (a tight pair); a value given is kept to the letter.",
    })
    minFaces: number | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ClusteringResult> {
    return ctx.services.clustering.clusterAlbum(ctx.owner.id, parseId(albumId, 'albumId'), { incremental: incremental ?? false, minFaces });
  }

  @Mutation(() => ClusteringResult, { description: 'clusterFaces over every album at once: people then span albums.' })
  async clusterLibrary(
    @Arg('incremental', () => Boolean, { nullable: true, defaultValue: false }) incremental: boolean | null,
    @Arg('minFaces', () => Int, { nullable: true }) minFaces: number | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ClusteringResult> {
    return ctx.services.clustering.clusterLibrary(ctx.owner.id, { incremental: incremental ?? false, minFaces });
  }

  @Mutation(() => Person, { description: 'Names a person (null or blank removes the name). Naming confirms its faces.' })
  async renamePerson(
    @Arg('id', () => ID) id: string,
    @Arg('name', () => String, { nullable: true }) name: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Person> {
    return toPerson(await ctx.services.people.rename(ctx.owner.id, parseId(id, 'id'), name));
  }

  @Mutation(() => Person, { description: 'Hides (or, with hidden: false, shows) a person.' })
  async hidePerson(
    @Arg('id', () => ID) id: string,
    @Arg('hidden', () => Boolean, { nullable: true, defaultValue: true }) hidden: boolean | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Person> {
    return toPerson(await ctx.services.people.setHidden(ctx.owner.id, parseId(id, 'id'), hidden ?? true));
  }

  @Mutation(() => Person, {
    description:
      'Sets (null clears) when a person was born. From then on a face of a photo taken before it never joins the person by machine (clustering, placement of new faces) nor is suggested for them (suggestFacesForPerson, reviewQueue, mergeSuggestions); such faces the person holds by machine leave it. moveFace still puts one in by hand. BAD_USER_INPUT for a date after today.',
  })
  async setPersonBirthDate(
    @Arg('id', () => ID) id: string,
    @Arg('birthDate', () => GraphQLDate, { nullable: true, description: 'YYYY-MM-DD; null or left out clears it.' }) birthDate:
      | Date
      | null
      | undefined,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Person> {
    const day = birthDate ? birthDate.toISOString().slice(0, 10) : null;
    return toPerson(await ctx.services.people.setBirthDate(ctx.owner.id, parseId(id, 'id'), day));
  }

  @Mutation(() => Person, { description: "Makes this face its person's thumbnail." })
  async setPersonThumbnail(@Arg('faceId', () => ID) faceId: string, @Ctx() ctx: GraphQLContext): Promise<Person> {
    return toPerson(await ctx.services.people.setThumbnail(ctx.owner.id, parseId(faceId, 'faceId')));
  }

  @Mutation(() => Face, { description: 'Puts a face in a person, or in nobody (personId null). Re-clustering keeps the choice.' })
  async moveFace(
    @Arg('faceId', () => ID) faceId: string,
    @Arg('personId', () => ID, { nullable: true }) personId: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Face> {
    const face = await ctx.services.people.moveFace(ctx.owner.id, parseId(faceId, 'faceId'), parseOptionalId(personId, 'personId') ?? null);
    return toFace(face);
  }

  @Mutation(() => Face, {
    description:
      '"Not this person": takes the face out of the person, and clustering never puts it back in (a cannot-link kept in the database). The face is then in no person until clustering places it elsewhere; moveFace into the person lifts the rule. A face in no person (a reviewQueue suggestion answered "not them") only gets the rule: reviewQueue and suggestFacesForPerson never offer the pair again. BAD_USER_INPUT if the face is in another person.',
  })
  async rejectFaceFromPerson(
    @Arg('faceId', () => ID) faceId: string,
    @Arg('personId', () => ID) personId: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Face> {
    return toFace(await ctx.services.people.rejectFace(ctx.owner.id, parseId(faceId, 'faceId'), parseId(personId, 'personId')));
  }

  @Mutation(() => PersonMerge, { description: 'Merges people into one; `undoMerge` takes it back.' })
  async mergePeople(
    @Arg('into', () => ID) into: string,
    @Arg('from', () => [ID]) from: string[],
    @Ctx() ctx: GraphQLContext,
  ): Promise<PersonMerge> {
    const merge = await ctx.services.people.merge(
      ctx.owner.id,
      parseId(into, 'into'),
      from.map((id) => parseId(id, 'from')),
    );
    return toPersonMerge(merge);
  }

  @Mutation(() => PersonMerge, { description: 'Takes a merge back: the merged people return with their faces.' })
  async undoMerge(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<PersonMerge> {
    return toPersonMerge(await ctx.services.people.undoMerge(ctx.owner.id, parseId(id, 'id')));
  }

  @FieldResolver(() => String, { nullable: true, description: "URL (path on this server) of the person's thumbnail JPEG." })
  async thumbnail(@Root() person: Person, @Ctx() ctx: GraphQLContext): Promise<string | null> {
    const face = await this.thumbnailFaceRow(person, ctx);
    return face ? thumbnailUrl(toFace(face), ctx) : null;
  }

  @FieldResolver(() => Face, { nullable: true, description: 'The face shown as thumbnail.' })
  async thumbnailFace(@Root() person: Person, @Ctx() ctx: GraphQLContext): Promise<Face | null> {
    const face = await this.thumbnailFaceRow(person, ctx);
    return face ? toFace(face) : null;
  }

  @FieldResolver(() => FaceConnection, { description: 'The faces of this person, in the order they were found.' })
  async faces(@Root() person: Person, @Args(() => PageArgs) args: PageArgs, @Ctx() ctx: GraphQLContext): Promise<FaceConnection> {
    return toConnection(await ctx.services.people.facesOf(ctx.owner.id, person.id, args), toFace);
  }

  private async thumbnailFaceRow(person: Person, ctx: GraphQLContext): Promise<FaceRecord | undefined> {
    return person.thumbnailFaceId === null ? undefined : ctx.loaders.face.load(person.thumbnailFaceId);
  }
}

@Resolver(() => PersonMerge)
export class PersonMergeResolver {
  @FieldResolver(() => Person, { description: 'The person the others were merged into.' })
  async into(@Root() merge: PersonMerge, @Ctx() ctx: GraphQLContext): Promise<Person> {
    const row = await ctx.loaders.person.load(merge.intoId);
    if (!row) throw new NotFoundError('person', String(merge.intoId));
    return toPerson(row);
  }

  @FieldResolver(() => [Person], { description: 'The people merged in (their rows stay, so that the merge can be undone).' })
  async from(@Root() merge: PersonMerge, @Ctx() ctx: GraphQLContext): Promise<Person[]> {
    const rows = await ctx.loaders.person.loadMany(merge.fromIds);
    return rows.flatMap((r) => (r && !(r instanceof Error) ? [toPerson(r)] : []));
  }
}

@Resolver(() => Album)
export class AlbumPeopleResolver {
  @FieldResolver(() => [Person], { description: 'People with faces in this album, most faces first.' })
  async people(
    @Root() album: Album,
    @Arg('includeHidden', () => Boolean, { nullable: true, defaultValue: false }) includeHidden: boolean | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Person[]> {
    return (await ctx.services.people.listByAlbum(ctx.owner.id, album.id, includeHidden ?? false)).map(toPerson);
  }

  @FieldResolver(() => FaceConnection, { description: 'Faces of this album that are in no person.' })
  async unassignedFaces(@Root() album: Album, @Args(() => PageArgs) args: PageArgs, @Ctx() ctx: GraphQLContext): Promise<FaceConnection> {
    return toConnection(await ctx.services.people.unassignedFaces(ctx.owner.id, album.id, args), toFace);
  }
}

@Resolver(() => Face)
export class FacePeopleResolver {
  @FieldResolver(() => Person, { nullable: true, description: 'The person this face is, if any.' })
  async person(@Root() face: Face, @Ctx() ctx: GraphQLContext): Promise<Person | null> {
    const assignment = await ctx.loaders.assignment.load(face.id);
    if (!assignment || assignment.personId === null) return null;
    const row = await ctx.loaders.person.load(assignment.personId);
    return row ? toPerson(row) : null;
  }

  @FieldResolver(() => AssignedBy, { nullable: true, description: 'Who decided which person this face is; null if nobody has.' })
  async assignedBy(@Root() face: Face, @Ctx() ctx: GraphQLContext): Promise<AssignedBy | null> {
    const assignment = await ctx.loaders.assignment.load(face.id);
    return assignment ? (assignment.assignedBy as AssignedBy) : null;
  }

  @FieldResolver(() => String, { description: 'URL (path on this server) of a JPEG of the face with a margin, 160 x 160.' })
  async thumbnail(@Root() face: Face, @Ctx() ctx: GraphQLContext): Promise<string> {
    return thumbnailUrl(face, ctx);
  }
}
