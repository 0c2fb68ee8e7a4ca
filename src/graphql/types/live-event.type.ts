import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { IngestBatch, IngestItem } from './ingest.type.js';

@ObjectType({ description: 'One step of a batch, as ingestBatchProgress sends it.' })
export class IngestBatchProgress {
  @Field(() => IngestBatch, { description: 'The batch after this change: status and counts.' })
  batch!: IngestBatch;
  @Field(() => [IngestItem], {
    description: 'Items that got their outcome since the previous step (on the first step: every item finished so far).',
  })
  finishedItems!: IngestItem[];
}

export enum AlbumEventKind {
  PHOTO_STORED = 'PHOTO_STORED',
  PEOPLE_CHANGED = 'PEOPLE_CHANGED',
}
registerEnumType(AlbumEventKind, {
  name: 'AlbumEventKind',
  description: 'PHOTO_STORED: a photo new to the album was stored with its faces. PEOPLE_CHANGED: clustering placed faces into people.',
});

@ObjectType({ description: 'Something that happened in an album, as albumEvents sends it.' })
export class AlbumEvent {
  @Field(() => AlbumEventKind) kind!: AlbumEventKind;
  @Field(() => ID) albumId!: number;
  @Field(() => ID, { nullable: true, description: 'PHOTO_STORED: the batch that stored it.' }) batchId!: number | null;
  /** Resolved by AlbumEventResolver.image. */
  imageId!: number | null;
  @Field(() => Int, { nullable: true, description: 'PHOTO_STORED: faces found in the photo.' }) faceCount!: number | null;
  @Field(() => Int, { nullable: true, description: 'PEOPLE_CHANGED: faces placed into a person by the run.' }) facesPlaced!: number | null;
  @Field(() => Int, { nullable: true, description: 'PEOPLE_CHANGED: people the run created.' }) newPeople!: number | null;
  @Field(() => Int, { nullable: true, description: 'PEOPLE_CHANGED: machine-made people left without a face and removed.' })
  removedPeople!: number | null;
}
