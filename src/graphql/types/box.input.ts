import { Field, Float, InputType } from 'type-graphql';

/** A rectangle a client sends, in the same pixels as `Box`. */
@InputType('BoxInput', { description: 'A rectangle in pixels of the upright (EXIF-rotated) original photo, as `Image.width` x `Image.height` count them.' })
export class BoxInput {
  @Field(() => Float) x!: number;
  @Field(() => Float) y!: number;
  @Field(() => Float) width!: number;
  @Field(() => Float) height!: number;
}
