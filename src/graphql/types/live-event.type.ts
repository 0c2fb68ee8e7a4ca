import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { IngestBatch, IngestItem } from './ingest.type.js';
import { WatchedFolderState } from './watched-folder.type.js';

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
  FOLDER_SCAN = 'FOLDER_SCAN',
}
registerEnumType(AlbumEventKind, {
  name: 'AlbumEventKind',
  description:
    'PHOTO_STORED: a photo new to the album was stored with its faces. PEOPLE_CHANGED: clustering placed faces into people. ' +
    "FOLDER_SCAN: a watched folder's scan went on (a page of files) or its state changed.",
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
  @Field(() => ID, { nullable: true, description: 'FOLDER_SCAN: the watched folder.' }) watchedFolderId!: number | null;
  @Field(() => WatchedFolderState, { nullable: true, description: "FOLDER_SCAN: the folder's state." })
  folderState!: WatchedFolderState | null;
  @Field(() => Int, { nullable: true, description: 'FOLDER_SCAN: files the scan has gone through so far.' }) filesScanned!: number | null;
  @Field(() => String, { nullable: true, description: 'FOLDER_SCAN: what went wrong, if anything.' }) folderMessage!: string | null;
}
