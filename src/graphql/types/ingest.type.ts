import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum IngestStatus {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  DONE = 'DONE',
  FAILED = 'FAILED',
}
registerEnumType(IngestStatus, { name: 'IngestStatus' });

@ObjectType({ description: 'Why one file of a batch was not stored.' })
export class IngestError {
  @Field(() => String, { description: 'Stable code: UNSUPPORTED_IMAGE, PAYLOAD_TOO_LARGE, FORBIDDEN_PATH, NOT_FOUND, ...' })
  code!: string;
  @Field(() => String) message!: string;
}

@ObjectType({ description: 'One file of a batch: the stored image, or the error that stopped it.' })
export class IngestItem {
  position!: number;
  imageId!: number | null;
  @Field(() => String) fileName!: string;
  @Field(() => IngestError, { nullable: true }) error!: IngestError | null;
}

@ObjectType({ description: 'A request to ingest files; items are in request order.' })
export class IngestBatch {
  @Field(() => ID) id!: number;
  albumId!: number;
  @Field(() => IngestStatus) status!: IngestStatus;
  @Field(() => Int) total!: number;
  @Field(() => Int, { description: 'Files stored (or found already stored).' }) done!: number;
  @Field(() => Int, { description: 'Files that failed; done + failed = total once finished.' }) failed!: number;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date, { nullable: true }) finishedAt!: Date | null;
}
