import { ApolloArmor } from '@escape.tech/graphql-armor';

export interface QueryLimits {
  /** Deepest selection allowed; the schema's cycles (face -> image -> album -> images ...) make unbounded depth a DoS. */
  maxDepth: number;
  /** graphql-armor's cost estimate (object fields cost more than scalars, depth multiplies). */
  maxCost: number;
  maxAliases: number;
}

/** Defaults with room for every client query we know (the web page's deepest is 8 levels). */
export const DEFAULT_QUERY_LIMITS: QueryLimits = { maxDepth: 12, maxCost: 20_000, maxAliases: 20 };

/**
 * Query depth, cost, alias and token limits as validation rules and plugins
 * for Apollo Server, from graphql-armor. A refused query is a validation
 * error (`GRAPHQL_VALIDATION_FAILED`) and never reaches a resolver.
 */
export function queryLimits(limits: QueryLimits = DEFAULT_QUERY_LIMITS) {
  const { plugins, validationRules } = new ApolloArmor({
    maxDepth: { n: limits.maxDepth, flattenFragments: true },
    costLimit: { maxCost: limits.maxCost },
    maxAliases: { n: limits.maxAliases },
    // armor's token counter re-parses the document in a plugin and turns a plain syntax
    // error into an HTTP 500; the 256 kB body limit bounds parser work instead.
    maxTokens: { enabled: false },
    maxDirectives: { n: 50 },
    // Field suggestions ("did you mean ...") leak the schema when introspection is off.
    blockFieldSuggestion: { enabled: true },
  }).protect();
  return { plugins, validationRules };
}
