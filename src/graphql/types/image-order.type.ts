import { ArgsType, Field, registerEnumType } from 'type-graphql';
import { PageArgs } from '../args.js';

/** How `Album.images` is ordered; the values are `AlbumService`'s ImageOrder. */
export enum ImageOrder {
  ADDED = 'ADDED',
  TAKEN_AT = 'TAKEN_AT',
}
registerEnumType(ImageOrder, {
  name: 'ImageOrder',
  valuesConfig: {
    ADDED: { description: 'The order the photos were added in (by id).' },
    TAKEN_AT: {
      description: 'By `takenAt`, oldest first, ties by id; photos whose `takenAt` is null come last, in the order they were added.',
    },
  },
});

@ArgsType()
export class AlbumImagesArgs extends PageArgs {
  @Field(() => ImageOrder, {
    defaultValue: ImageOrder.ADDED,
    description: "The listing's order. A cursor belongs to the order that gave it: use it with the same orderBy.",
  })
  orderBy: ImageOrder = ImageOrder.ADDED;
}
