import { Field, ObjectType, type ClassType } from 'type-graphql';

@ObjectType({ description: 'Relay-style paging state.' })
export class PageInfo {
  @Field(() => Boolean) hasNextPage!: boolean;
  @Field(() => String, { nullable: true, description: 'Pass as `after` to get the next page.' })
  endCursor!: string | null;
}

/**
 * Builds the `XConnection` / `XEdge` pair for a node type, as in type-graphql's
 * generic-types example, so every list pages the same way.
 */
export function Connection<TNode extends object>(NodeType: ClassType<TNode>) {
  @ObjectType(`${NodeType.name}Edge`)
  class Edge {
    @Field(() => String) cursor!: string;
    @Field(() => NodeType) node!: TNode;
  }

  @ObjectType(`${NodeType.name}ConnectionBase`)
  abstract class ConnectionType {
    @Field(() => [Edge]) edges!: Edge[];
    @Field(() => PageInfo) pageInfo!: PageInfo;
  }
  return ConnectionType;
}
