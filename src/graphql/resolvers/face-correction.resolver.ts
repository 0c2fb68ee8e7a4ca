import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../context.js';
import { parseId } from '../ids.js';
import { toFace } from '../mappers.js';
import { Face } from '../types/face.type.js';
import { BoxType } from '../types/geometry.type.js';

/** Corrections of the detector by hand: delete a false face, add a missed one. */
@Resolver(() => Face)
export class FaceCorrectionResolver {
  @Mutation(() => Boolean, {
    description:
      'Deletes a face that is not one (or not wanted): it leaves searches, counts, its person and clustering for good. A person left with no face disappears (a named or merged one keeps its row, for its name and undo). NOT_FOUND if there is none.',
  })
  async deleteFace(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<boolean> {
    await ctx.services.corrections.deleteFace(ctx.owner.id, parseId(id, 'id'));
    return true;
  }

  @Mutation(() => Face, {
    description:
      "Adds a face the detector missed, in a box drawn on the stored photo: landmarks, alignment and embedding are computed inside it with the same model as every face (source MANUAL), and it is placed in a person like a new photo's faces. BAD_USER_INPUT for a box outside the photo, too small for a face, on a stored face, or where the landmark check finds no face (extensions.rejection) unless force is true.",
  })
  async addFace(
    @Arg('imageId', () => ID) imageId: string,
    @Arg('box', () => BoxType) box: BoxType,
    @Arg('force', () => Boolean, {
      nullable: true,
      defaultValue: false,
      description: 'Store the face even where the landmark check finds none.',
    })
    force: boolean | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Face> {
    const { x, y, width, height } = box;
    return toFace(
      await ctx.services.corrections.addFace(ctx.owner.id, parseId(imageId, 'imageId'), { x, y, width, height }, force ?? false),
    );
  }
}
