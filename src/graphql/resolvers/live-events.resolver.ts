import { Arg, Ctx, FieldResolver, ID, Resolver, Root, Subscription } from 'type-graphql';
import type { SubscribeResolverData } from 'type-graphql';
import type { AlbumEvent as AlbumEventPayload, BatchProgress } from '../../services/live-events.service.js';
import type { GraphQLContext } from '../context.js';
import { parseId } from '../ids.js';
import { toAlbumEvent, toBatchProgress } from '../mappers.js';
import { Image } from '../types/image.type.js';
import { AlbumEvent, IngestBatchProgress } from '../types/live-event.type.js';
import { loadImage } from './image.resolver.js';

type SubscribeData = SubscribeResolverData<unknown, Record<string, string>, GraphQLContext>;

/**
 * Subscriptions (graphql-ws, on /graphql). Each brings its own `subscribe`:
 * the service gives the stream — the state first, then every change, ending
 * when a batch is done — and checks the owner, so another owner's id fails
 * with NOT_FOUND before anything is sent.
 */
@Resolver()
export class LiveEventsResolver {
  @Subscription(() => IngestBatchProgress, {
    description:
      'The batch now, then on every change (status, counts, the items that just finished), ending once it is DONE or ' +
      'FAILED. Events come from whichever process handles the photos.',
    subscribe: ({ args, context }: SubscribeData) => context.services.live.followBatch(context.owner.id, parseId(args.id, 'id')),
  })
  ingestBatchProgress(@Root() progress: BatchProgress, @Arg('id', () => ID) _id: string): IngestBatchProgress {
    return toBatchProgress(progress);
  }

  @Subscription(() => AlbumEvent, {
    description: 'Photos stored in the album (with their face counts) and its people changing after clustering, as they happen.',
    subscribe: ({ args, context }: SubscribeData) => context.services.live.followAlbum(context.owner.id, parseId(args.albumId, 'albumId')),
  })
  albumEvents(@Root() event: AlbumEventPayload, @Arg('albumId', () => ID) _albumId: string): AlbumEvent {
    return toAlbumEvent(event);
  }
}

@Resolver(() => AlbumEvent)
export class AlbumEventResolver {
  @FieldResolver(() => Image, { nullable: true, description: 'PHOTO_STORED: the stored photo.' })
  image(@Root() event: AlbumEvent, @Ctx() ctx: GraphQLContext): Promise<Image | null> {
    return loadImage(ctx, event.imageId);
  }
}
