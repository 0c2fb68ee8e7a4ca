import { Field, Float, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Connection } from './connection.type.js';
import type { FaceSource as DomainFaceSource } from '../../services/records.js';
import { BoxType, PointType } from './geometry.type.js';

export enum FaceSource {
  DETECTOR = 'detector',
  WHOLE_IMAGE = 'whole-image',
  MANUAL = 'manual',
}

/** The domain's FaceSource as the GraphQL enum: a new source fails to compile here until it is named. */
export const FACE_SOURCE: Record<DomainFaceSource, FaceSource> = {
  detector: FaceSource.DETECTOR,
  'whole-image': FaceSource.WHOLE_IMAGE,
  manual: FaceSource.MANUAL,
};
registerEnumType(FaceSource, {
  name: 'FaceSource',
  description: 'How a face was found.',
  valuesConfig: {
    DETECTOR: { description: 'By the face detector.' },
    WHOLE_IMAGE: {
      description:
        "As the whole image: a tight face crop in which the detector found nothing, taken whole because its landmarks are a face's.",
    },
    MANUAL: { description: 'Added by hand (addFace): in a box a user drew, where the detector had missed it.' },
  },
});

@ObjectType({ description: 'One face found in a photo.' })
export class Face {
  @Field(() => ID) id!: number;
  imageId!: number;
  albumId!: number;
  @Field(() => BoxType) box!: BoxType;
  @Field(() => Float, { description: 'Detector confidence in [0, 1]; 0 for a face found as the whole image or added by hand.' })
  score!: number;
  @Field(() => FaceSource, { description: 'How the face was found.' }) source!: FaceSource;
  @Field(() => [PointType], { description: 'The 68 landmarks (iBUG 300-W order) used to align the face.' })
  landmarks!: PointType[];
  @Field(() => String, { description: 'Identifies the networks and preprocessing that made the embedding.' })
  model!: string;
  @Field(() => Float, {
    nullable: true,
    description:
      'How far the embedding can be trusted, in [0, 1]: the chance that it lies where a large, sharp photo of the face would put it ' +
      '(from eye distance, sharpness, contrast and landmark agreement). A face under 0.5 (small, blurred, faded) is stored and ' +
      'shown but never makes, joins or bridges a person, and comes after the others in similarFaces. Null for faces stored before it was measured.',
  })
  quality!: number | null;
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
  @Field(() => FaceSource, { description: 'How the face was found.' }) source!: FaceSource;
  @Field(() => [FaceMatch]) matches!: FaceMatch[];
}

@ObjectType()
export class FaceComparison {
  @Field(() => Float, { description: 'Cosine distance between the two embeddings.' }) distance!: number;
  @Field(() => Float, { description: 'The calibrated same-person threshold the decision used.' }) threshold!: number;
  @Field(() => Boolean, { description: 'distance <= threshold.' }) samePerson!: boolean;
}
