import { Field, Float, ObjectType } from 'type-graphql';

/** A rectangle in pixels of the upright original photo. */
@ObjectType('Box', { description: 'A rectangle in pixels of the upright (EXIF-rotated) original photo.' })
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
