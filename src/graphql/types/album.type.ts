import { Field, ID, ObjectType } from 'type-graphql';
import { Connection } from './connection.type.js';

@ObjectType({ description: 'A named collection of photos.' })
export class Album {
  @Field(() => ID) id!: number;
  @Field(() => String) name!: string;
  @Field(() => Date) createdAt!: Date;
}

@ObjectType()
export class AlbumConnection extends Connection(Album) {}
