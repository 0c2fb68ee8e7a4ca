import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { createPubSub } from '@graphql-yoga/subscription';
import { buildSchema } from 'type-graphql';
import { AlbumResolver } from './resolvers/album.resolver.js';
import { FaceCorrectionResolver } from './resolvers/face-correction.resolver.js';
import { FaceResolver } from './resolvers/face.resolver.js';
import { ImageResolver } from './resolvers/image.resolver.js';
import { IngestItemResolver, IngestResolver } from './resolvers/ingest.resolver.js';
import { AlbumEventResolver, LiveEventsResolver } from './resolvers/live-events.resolver.js';
import { AlbumPeopleResolver, FacePeopleResolver, PersonMergeResolver, PersonResolver } from './resolvers/person.resolver.js';
import { WatchedFolderResolver } from './resolvers/watched-folder.resolver.js';

/** Builds the executable schema from the resolvers (code-first). */
export function buildFacegraphSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [
      AlbumResolver,
      ImageResolver,
      FaceResolver,
      FaceCorrectionResolver,
      IngestResolver,
      IngestItemResolver,
      PersonResolver,
      PersonMergeResolver,
      AlbumPeopleResolver,
      FacePeopleResolver,
      LiveEventsResolver,
      AlbumEventResolver,
      WatchedFolderResolver,
    ],
    validate: false,
    // type-graphql insists on a PubSub once a schema has subscriptions, even when every @Subscription brings its
    // own `subscribe`, as ours do (the streams come from LiveEventsService over the EventBus). This one is unused.
    pubSub: createPubSub(),
  });
}

/** The SDL committed as schema/schema.graphql; sorted so that diffs show real changes only. */
export function renderSdl(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
