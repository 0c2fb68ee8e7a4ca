import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { AlbumResolver } from './resolvers/album.resolver.js';
import { FaceCorrectionResolver } from './resolvers/face-correction.resolver.js';
import { FaceResolver } from './resolvers/face.resolver.js';
import { ImageResolver } from './resolvers/image.resolver.js';
import { IngestItemResolver, IngestResolver } from './resolvers/ingest.resolver.js';
import { AlbumPeopleResolver, FacePeopleResolver, PersonMergeResolver, PersonResolver } from './resolvers/person.resolver.js';

/** Builds the executable schema from the resolvers (code-first). */
export function buildFacegraphSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [
      AlbumResolver, ImageResolver, FaceResolver, FaceCorrectionResolver, IngestResolver, IngestItemResolver,
      PersonResolver, PersonMergeResolver, AlbumPeopleResolver, FacePeopleResolver,
    ],
    validate: false,
  });
}

/** The SDL committed as schema/schema.graphql; sorted so that diffs show real changes only. */
export function renderSdl(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
