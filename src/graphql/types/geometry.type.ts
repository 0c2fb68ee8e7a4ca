import { Field, Float, InputType, ObjectType } from 'type-graphql';

/** A rectangle in pixels of the upright original photo; also what a client sends (`BoxInput`, addFace). */
@ObjectType('Box', { description: 'A rectangle in pixels of the upright (EXIF-rotated) original photo.' })
@InputType('BoxInput', {
  description: 'A rectangle in pixels of the upright (EXIF-rotated) original photo, as `Image.width` x `Image.height` count them.',
})
export class BoxType {
  @Field(() => Float) x!: number;
  @Field(() => Float) y!: number;
  @Field(() => Float) width!: number;
  @Field(() => Float) height!: number;
}

@ObjectType('Point', { description: 'A point in pixels of the upright original photo.' })
export class PointType {
  @Field(() => Float) x!: number;
  @Field(() => Float) y!: number;
}
