import { Field, Float, ID, ObjectType } from 'type-graphql';
import { Connection } from './connection.type.js';
import { BoxType, PointType } from './geometry.type.js';

@ObjectType({ description: 'One face found in a photo.' })
export class Face {
  @Field(() => ID) id!: number;
  imageId!: number;
  albumId!: number;
  @Field(() => BoxType) box!: BoxType;
  @Field(() => Float, { description: 'Detector confidence in [0, 1].' }) score!: number;
  @Field(() => [PointType], { description: "The 68 landmarks (iBUG 300-W order) used to align the face." })
  landmarks!: PointType[];
  @Field(() => String, { description: 'Identifies the networks and preprocessing that made the embedding.' })
  model!: string;
  @Field(() => Date) createdAt!: Date;
}

@ObjectType()
export class FaceConnection extends Connection(Face) {}

@ObjectType({ description: 'A stored face and its cosine distance to the query.' })
export class FaceMatch {
  @Field(() => Face) face!: Face;
  @Field(() => Float, { description: 'Cosine distance in [0, 2]; smaller is more alike.' }) distance!: number;
}

@ObjectType({ description: 'A face found in a searched photo, with the stored faces nearest to it.' })
export class PhotoFaceMatches {
  @Field(() => BoxType) box!: BoxType;
  @Field(() => Float) score!: number;
  @Field(() => [FaceMatch]) matches!: FaceMatch[];
}

@ObjectType()
export class FaceComparison {
  @Field(() => Float, { description: 'Cosine distance between the two embeddings.' }) distance!: number;
  @Field(() => Float, { description: 'The calibrated same-person threshold the decision used.' }) threshold!: number;
  @Field(() => Boolean, { description: 'distance <= threshold.' }) samePerson!: boolean;
}
